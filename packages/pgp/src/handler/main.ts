/**
 * The handler program: the only code that reads untrusted OpenPGP and RPM bytes. It answers
 * each request with a JSON description (see ../contract.ts) and decides nothing: the host
 * checks every byte of it.
 */
import { serve } from '@umd/core/handler';
import { DRIVER_NAME, MAX_INPUT } from '../contract.js';
import { describeRequest } from './operations.js';

// No top-level await: the blob can then be CommonJS, which Node 20 starts faster than ESM.
void serve((payload) => Buffer.from(JSON.stringify(describeRequest(payload))), {
  name: DRIVER_NAME,
  maxPayload: MAX_INPUT + 1,
});
