#!/usr/bin/env node
// The main demo (`pnpm demo`): each package shows what it does, on real processes.
import { runEchoDemo } from './demo/echo.mjs';

const section = (title) => console.log(`\n== ${title} ==\n`);

section('1. @umd/core + @umd/mgmt: an echo handler, requests from 64 B to 16 MiB');
await runEchoDemo();
