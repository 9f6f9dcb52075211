import { FRAME_HEADER_SIZE, type FrameType } from '../codec/constants.js';
import { writeFrameHeader } from '../codec/frame.js';
import { STDOUT_FD, writeAllSync } from './fd-io.js';

/** Small frames are copied behind their header into this scratch buffer and leave in one write. */
const COALESCE_LIMIT = 16 * 1024;

/**
 * Writes frames to fd 1 synchronously. Writes are blocking and complete before returning, so one
 * scratch buffer serves every frame: no allocation per reply.
 */
export function createFdFrameSender(fd = STDOUT_FD): (type: FrameType, id: number, payload: Uint8Array) => void {
  const scratch = new Uint8Array(FRAME_HEADER_SIZE + COALESCE_LIMIT);
  const header = new Uint8Array(FRAME_HEADER_SIZE);
  return (type, id, payload) => {
    const length = payload.byteLength;
    if (length <= COALESCE_LIMIT) {
      writeFrameHeader(scratch, 0, type, id, length);
      scratch.set(payload, FRAME_HEADER_SIZE);
      writeAllSync(fd, [scratch.subarray(0, FRAME_HEADER_SIZE + length)]);
    } else {
      writeFrameHeader(header, 0, type, id, length);
      writeAllSync(fd, [header, payload]);
    }
  };
}
