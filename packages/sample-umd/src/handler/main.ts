/**
 * The handler program (framed mode). It runs in its own process, started by the manager from
 * the verified blob that bundles this file: requests arrive on stdin, replies leave on stdout,
 * and anything logged goes to stderr, which the manager captures line by line.
 */
import { serveContract } from '@umd/core/handler';
import { DRIVER_NAME, encodeReply, REQUEST_SIZE, SampleContract } from '../contract.js';

// No top-level await: the blob can then be CommonJS, which Node 20 starts faster than ESM.
// The host validates too; the handler trusts nothing it receives: serveContract decodes and
// checks each request against the contract (a bad one is answered with EINVAL, -22).
void serveContract(SampleContract, (offset) => encodeReply(offset), {
  name: DRIVER_NAME,
  maxPayload: REQUEST_SIZE,
});
