/**
 * The contract of this driver: what a request and a reply hold. Host and handler both
 * import this module, so the two sides cannot drift apart: {@link SampleContract} declares the
 * typed request (an offset) and reply (bytes) with their codecs, for `contractClient()` on the
 * host and `serveContract()` in the handler. The functions below it are pure (no Node imports).
 *
 * Request: one little-endian u32 `offset`. Reply: exactly {@link REPLY_SIZE} bytes of zeros,
 * except that byte `offset` is 1. The reply is deliberately larger than a 64 KiB pipe buffer,
 * so that every exchange proves the transport reads and writes in a loop.
 */

import { codec, defineContract } from '@umd/core/contract';

/** Name of the driver: the handler's HELLO name, the loader's and the manager's name. */
export const DRIVER_NAME = 'sample';

/** Size of a request in bytes: one u32. */
export const REQUEST_SIZE = 4;

/** Size of a reply in bytes: 128 KiB. */
export const REPLY_SIZE = 128 * 1024;

/** The error code of an invalid request, negative errno style (EINVAL). */
export const EINVAL = -22;

/** Says what is wrong with `offset` as a request, or `undefined` when it is valid. */
export function offsetProblem(offset: number): string | undefined {
  if (!Number.isInteger(offset)) return `offset ${String(offset)} is not an integer`;
  if (offset < 0) return `offset ${offset} is negative`;
  if (offset >= REPLY_SIZE) return `offset ${offset} is out of range (0 to ${REPLY_SIZE - 1})`;
  return undefined;
}

/** Encodes a request. Throws a `RangeError` when `offset` is not valid (see {@link offsetProblem}). */
export function encodeRequest(offset: number): Uint8Array {
  const problem = offsetProblem(offset);
  if (problem !== undefined) throw new RangeError(problem);
  const bytes = new Uint8Array(REQUEST_SIZE);
  new DataView(bytes.buffer).setUint32(0, offset, true);
  return bytes;
}

/** Result of {@link decodeRequest}: the offset, or why the bytes are not a valid request. */
export type DecodedRequest = { ok: true; offset: number } | { ok: false; problem: string };

/** Decodes and validates a request received by a handler. */
export function decodeRequest(bytes: Uint8Array): DecodedRequest {
  if (bytes.length !== REQUEST_SIZE) {
    return { ok: false, problem: `request is ${bytes.length} bytes, expected ${REQUEST_SIZE}` };
  }
  const offset = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(0, true);
  const problem = offsetProblem(offset);
  return problem === undefined ? { ok: true, offset } : { ok: false, problem };
}

/** Encodes the reply to a valid request: zeros, and 1 at `offset`. */
export function encodeReply(offset: number): Uint8Array {
  const problem = offsetProblem(offset);
  if (problem !== undefined) throw new RangeError(problem);
  const reply = new Uint8Array(REPLY_SIZE);
  reply[offset] = 1;
  return reply;
}

/**
 * Checks a reply against the request's `offset`: its length, byte `offset` set to 1, every
 * other byte zero. Returns what is wrong, or `undefined` when the reply is right.
 */
export function replyProblem(offset: number, reply: Uint8Array): string | undefined {
  if (reply.length !== REPLY_SIZE) return `reply is ${reply.length} bytes, expected ${REPLY_SIZE}`;
  if (reply[offset] !== 1) return `reply byte ${offset} is ${String(reply[offset])}, expected 1`;
  for (let i = 0; i < reply.length; i++) {
    if (reply[i] !== 0 && i !== offset) return `reply byte ${i} is ${String(reply[i])}, expected 0`;
  }
  return undefined;
}

/**
 * The typed contract: a request is an offset (a little-endian u32 on the wire, refused by both
 * sides when out of range), a reply is {@link REPLY_SIZE} bytes. Whether the reply is right for
 * its offset is checked by the host (`replyProblem`), which knows the offset.
 */
export const SampleContract = defineContract({
  name: DRIVER_NAME,
  request: codec<number>({
    name: 'u32 offset',
    encode: encodeRequest,
    decode: (bytes) => {
      const request = decodeRequest(bytes);
      if (!request.ok) throw new RangeError(request.problem);
      return request.offset;
    },
  }),
  reply: codec<Uint8Array>({
    name: 'reply bytes',
    encode: (reply) => reply,
    decode: (reply) => reply,
  }),
});
