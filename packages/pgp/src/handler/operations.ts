/**
 * What the handler does with a request: its first byte names the operation, the rest is the
 * input, and the answer is the input's description (see ../contract.ts). The handler program
 * (main.ts) serves it; the tests' lying handler serves the same, then edits it.
 */
import { HandlerError } from '@umd/core/handler';
import { EBADMSG, Op } from '../contract.js';
import { cleartext, inline, keys, signatures } from './messages.js';
import { rpm } from './rpm.js';

const operations: Record<number, (input: Uint8Array) => unknown> = {
  [Op.KEYS]: keys,
  [Op.SIGNATURES]: signatures,
  [Op.CLEARTEXT]: cleartext,
  [Op.INLINE]: inline,
  [Op.RPM]: rpm,
};

/** The description of a request's input; an unknown operation is EBADMSG. */
export function describeRequest(payload: Uint8Array): unknown {
  const operation = operations[payload[0] ?? -1];
  if (!operation) throw new HandlerError(EBADMSG, `unknown operation ${payload[0]}`);
  return operation(payload.subarray(1));
}
