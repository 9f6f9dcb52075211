#!/usr/bin/env node
// The installed `umd-blob` command. A committed file rather than dist/blob-cli.js itself, so
// that the package manager can link the command before the first build.
import '../dist/blob-cli.js';
