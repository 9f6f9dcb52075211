#!/usr/bin/env node
// The bpfilter demo (the repository's demo script calls runDemo() too): rules installed,
// packets classified, the handler killed and its tables restored, the table printed.
import { runDemo } from '@umd/bpfilter';

await runDemo();
