#!/usr/bin/env -S node --initial-old-space-size=64
// The installed `bpfilter` command. A committed file rather than dist/cli.js itself, so that
// the package manager can link the command before the first build.
// The flag: with V8's default first old-generation limit, a service that keeps a large table
// had less room left below the limit than its young generation holds (it grows while large
// requests go through), and V8 then starts a full mark-compact (marking on its other threads)
// at almost every replace, with the table's work still to do. A larger first limit leaves
// those to when the heap has grown (the enforcement history, session 21).
import '../dist/cli.js';
