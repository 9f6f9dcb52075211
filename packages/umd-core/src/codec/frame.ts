import {
  FRAME_HEADER_SIZE,
  FRAME_MAGIC,
  MAX_PAYLOAD_LIMIT,
  type FrameType,
  isFrameType,
} from './constants.js';
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
  if (!isFrameType(type))
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `unknown frame type ${type}`);
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `frame id ${id} is not a u32`);
  }
  if (length > MAX_PAYLOAD_LIMIT) {
    throw new UmdError(
      UmdErrorCode.TOO_LARGE,
      `payload of ${length} bytes does not fit a u32 length`,
    );
  }
}

/**
 * Writes a 16-byte frame header into `target` at `offset`. Lets a sender put header and payload
 * in one buffer (small frames) or send them as two writes (large ones) without a copy.
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  type: FrameType,
  id: number,
  length: number,
): void {
  checkHeaderFields(type, id, length);
  // Byte stores rather than a DataView: no view object per frame on the hot path.
  target[offset] = FRAME_MAGIC & 0xff;
  target[offset + 1] = (FRAME_MAGIC >>> 8) & 0xff;
  target[offset + 2] = (FRAME_MAGIC >>> 16) & 0xff;
  target[offset + 3] = FRAME_MAGIC >>> 24;
  target[offset + 4] = type;
  target[offset + 5] = 0;
  target[offset + 6] = 0;
  target[offset + 7] = 0;
  target[offset + 8] = id & 0xff;
  target[offset + 9] = (id >>> 8) & 0xff;
  target[offset + 10] = (id >>> 16) & 0xff;
  target[offset + 11] = id >>> 24;
  target[offset + 12] = length & 0xff;
  target[offset + 13] = (length >>> 8) & 0xff;
  target[offset + 14] = (length >>> 16) & 0xff;
  target[offset + 15] = length >>> 24;
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
