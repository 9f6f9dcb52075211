/**
 * The handler program (framed mode). It runs in its own process, started by the manager from
 * the verified blob that bundles this file: requests arrive on stdin, replies leave on stdout,
 * and anything logged goes to stderr, which the manager captures line by line.
 */
import { HandlerError, serve } from '@umd/core/handler';
import { decodeRequest, DRIVER_NAME, EINVAL, encodeReply, REQUEST_SIZE } from '../contract.js';

// No top-level await: the blob can then be CommonJS, which Node 20 starts faster than ESM.
void serve(
  (payload) => {
    // The host validates too; the handler trusts nothing it receives.
    const request = decodeRequest(payload);
    if (!request.ok) throw new HandlerError(EINVAL, request.problem);
    return encodeReply(request.offset);
  },
  { name: DRIVER_NAME, maxPayload: REQUEST_SIZE },
);
