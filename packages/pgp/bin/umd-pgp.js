#!/usr/bin/env node
// The installed `umd-pgp` command. A committed file rather than dist/cli.js itself, so that
// the package manager can link the command before the first build.
import '../dist/cli.js';
