/**
 * The bpfilter handler process (bundled into the `bpfilter` blob): answers framed requests
 * with the pure core; refusals are explained on stderr, which the manager forwards.
 */
import { serve } from '@umd/core/handler';
import { createHandlerCore } from './core.js';

const core = createHandlerCore({ log: (line) => process.stderr.write(`${line}\n`) });
// No top-level await: the blob can then be CommonJS, which Node 20 starts faster than ESM.
// A SET_REPLACE's 1 MB request lands in a kept buffer, not fresh pages each time: the core
// copies what it keeps (the table's entries) and answers from fresh buffers.
void serve((payload) => core.handle(payload), { name: 'bpfilter', reuseRequestBuffers: true });
