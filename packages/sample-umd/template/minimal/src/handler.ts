/**
 * The handler: runs in its own process, started by the manager from the verified blob that
 * bundles this file. Requests arrive on stdin, replies leave on stdout; log to stderr.
 * Replace the function with your own work (a parser of untrusted input, say).
 */
import { HandlerError, serve } from '@umd/core/handler';

const MAX_REQUEST = 64 * 1024;
const EINVAL = 22;

// No top-level await: the blob can then be CommonJS, which Node starts faster than ESM.
void serve(
  (payload) => {
    // Trust nothing the host sends: check it here too.
    const text = new TextDecoder('utf-8', { fatal: false }).decode(payload);
    if (text.length === 0) throw new HandlerError(EINVAL, 'empty request');
    return new TextEncoder().encode(text.toUpperCase());
  },
  { name: '__NAME__', maxPayload: MAX_REQUEST },
);
