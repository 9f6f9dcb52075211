#!/usr/bin/env node
// The main demo (`pnpm demo`): each package shows what it does, on real processes.
import { runDemo as runBpfilterDemo } from '@umd/bpfilter';
import { runSampleDemo } from '@umd/sample-umd';
import { runEchoDemo } from './demo/echo.mjs';

const section = (title) => console.log(`\n== ${title} ==\n`);

section('1. @umd/core + @umd/mgmt: an echo handler, requests from 64 B to 16 MiB');
await runEchoDemo();

section('2. @umd/sample-umd: the kernel selftest driver, step by step (TypeScript and C handlers)');
await runSampleDemo((line) => console.log(`  ${line}`));

section('3. @umd/bpfilter: iptables rules installed, packets classified, a table printed');
await runBpfilterDemo({ write: (line) => console.log(`  ${line}`) });
