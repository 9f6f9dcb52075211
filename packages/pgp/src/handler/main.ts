/**
 * The handler program: the only code that reads untrusted OpenPGP and RPM bytes. It answers
 * each request with a JSON description (see ../contract.ts) and decides nothing: the host
 * checks every byte of it.
 */
import { HandlerError, serve } from '@umd/core/handler';
import { DRIVER_NAME, EBADMSG, MAX_INPUT, Op } from '../contract.js';
import { cleartext, inline, keys, signatures } from './messages.js';
import { rpm } from './rpm.js';

const operations: Record<number, (input: Uint8Array) => unknown> = {
  [Op.KEYS]: keys,
  [Op.SIGNATURES]: signatures,
  [Op.CLEARTEXT]: cleartext,
  [Op.INLINE]: inline,
  [Op.RPM]: rpm,
};

// No top-level await: the blob can then be CommonJS, which Node 20 starts faster than ESM.
void serve(
  (payload) => {
    const operation = operations[payload[0] ?? -1];
    if (!operation) throw new HandlerError(EBADMSG, `unknown operation ${payload[0]}`);
    const input = payload.subarray(1);
    return Buffer.from(JSON.stringify(operation(input)));
  },
  { name: DRIVER_NAME, maxPayload: MAX_INPUT + 1 },
);
