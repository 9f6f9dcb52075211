import { FRAME_HEADER_SIZE, type FrameType } from '../codec/constants.js';
import { encodeFrameHeader, writeFrameHeader } from '../codec/frame.js';
import { COALESCE_LIMIT } from '../shared/coalesce-limit.js';

/** Whether {@link frameChunks} sends `payload` itself (the caller's memory) rather than a copy. */
export function sendsUncopied(payload: Uint8Array): boolean {
  return payload.byteLength > COALESCE_LIMIT;
}

/**
 * One frame as the chunks a writer sends: header and payload in one pooled buffer for a small
 * payload (one copy is cheaper than a second chunk), else the header and the payload itself (no
 * copy: the payload must stay unchanged until written). That header is a plain `Uint8Array` on
 * purpose: writing it makes V8 give it a backing store, and at that allocation V8 (Node 20, 22)
 * checks its young `ArrayBuffer` bytes and scavenges the dead large replies in time; from Node's
 * pool, Node 20 ran fewer scavenges and more mark-compacts (umd-mgmt README, session 21).
 */
export function frameChunks(type: FrameType, id: number, payload: Uint8Array): Uint8Array[] {
  const length = payload.byteLength;
  if (sendsUncopied(payload)) return [encodeFrameHeader(type, id, length), payload];
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + length);
  writeFrameHeader(frame, 0, type, id, length);
  frame.set(payload, FRAME_HEADER_SIZE);
  return [frame];
}
