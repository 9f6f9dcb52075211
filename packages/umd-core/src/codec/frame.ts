import { FRAME_HEADER_SIZE, FRAME_MAGIC, MAX_PAYLOAD_LIMIT, type FrameType, isFrameType } from './constants.js';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';

/** One decoded frame. */
export interface Frame {
  /** What the frame carries. */
  type: FrameType;
  /** Request id (u32); 0 for HELLO. */
  id: number;
  /** The payload bytes (owned by the receiver: the decoder never reuses them). */
  payload: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function checkHeaderFields(type: number, id: number, length: number): void {
  if (!isFrameType(type)) throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `unknown frame type ${type}`);
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `frame id ${id} is not a u32`);
  }
  if (length > MAX_PAYLOAD_LIMIT) {
    throw new UmdError(UmdErrorCode.TOO_LARGE, `payload of ${length} bytes does not fit a u32 length`);
  }
}

/**
 * Writes a 16-byte frame header into `target` at `offset`. Lets a sender put header and payload
 * in one buffer (small frames) or send them as two writes (large ones) without a copy.
 */
export function writeFrameHeader(target: Uint8Array, offset: number, type: FrameType, id: number, length: number): void {
  checkHeaderFields(type, id, length);
  const view = new DataView(target.buffer, target.byteOffset + offset, FRAME_HEADER_SIZE);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint8(4, type);
  view.setUint8(5, 0);
  view.setUint16(6, 0, true);
  view.setUint32(8, id, true);
  view.setUint32(12, length, true);
}

/** Encodes the 16-byte header of a frame whose payload is `length` bytes long. */
export function encodeFrameHeader(type: FrameType, id: number, length: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_SIZE);
  writeFrameHeader(header, 0, type, id, length);
  return header;
}

/** Encodes one whole frame (header then payload) into a single new buffer. */
export function encodeFrame(type: FrameType, id: number, payload: Uint8Array = EMPTY): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_SIZE + payload.byteLength);
  writeFrameHeader(frame, 0, type, id, payload.byteLength);
  frame.set(payload, FRAME_HEADER_SIZE);
  return frame;
}
