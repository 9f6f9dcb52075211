/**
 * The bpfilter handler process (bundled into the `bpfilter` blob): answers framed requests
 * with the pure core; refusals are explained on stderr, which the manager forwards.
 */
import { serve } from '@umd/core/handler';
import { createHandlerCore } from './core.js';

const core = createHandlerCore({ log: (line) => process.stderr.write(`${line}\n`) });
// No top-level await: the blob can then be CommonJS, which Node 20 starts faster than ESM.
void serve((payload) => core.handle(payload), { name: 'bpfilter' });
