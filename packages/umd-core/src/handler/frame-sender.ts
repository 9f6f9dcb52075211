import { FRAME_HEADER_SIZE, type FrameType } from '../codec/constants.js';
import { writeFrameHeader } from '../codec/frame.js';
import { COALESCE_LIMIT } from '../shared/coalesce-limit.js';
import { STDOUT_FD, writeAllSync } from './fd-io.js';

/** A held batch is written out once it reaches this size. */
const BATCH_LIMIT = 256 * 1024;

/**
 * Writes frames to fd 1 with blocking writes. Between `hold()` and `flush()` (one read's worth of
 * requests answered synchronously) small frames collect in one buffer and leave in a single
 * write, so a pipelining host costs one syscall per batch rather than one per reply. Outside a
 * hold every frame is written at once. Writes complete before `send` returns, so the buffers are
 * reused: no allocation per reply.
 */
export class FdFrameSender {
  readonly #fd: number;
  #batch = new Uint8Array(FRAME_HEADER_SIZE + COALESCE_LIMIT);
  #batchLength = 0;
  #held = false;
  readonly #header = new Uint8Array(FRAME_HEADER_SIZE);

  constructor(fd = STDOUT_FD) {
    this.#fd = fd;
  }

  /** Starts collecting small frames. */
  hold(): void {
    this.#held = true;
  }

  /** Writes whatever was collected and stops collecting. */
  flush(): void {
    this.#held = false;
    this.#writeBatch();
  }

  /** Sends one frame (now, or at `flush()` while held). */
  send(type: FrameType, id: number, payload: Uint8Array): void {
    const length = payload.byteLength;
    if (length > COALESCE_LIMIT) {
      writeFrameHeader(this.#header, 0, type, id, length);
      this.#writeBatch();
      writeAllSync(this.#fd, [this.#header, payload]);
      return;
    }
    const size = FRAME_HEADER_SIZE + length;
    if (this.#batchLength + size > this.#batch.byteLength) {
      if (this.#batchLength + size <= BATCH_LIMIT) {
        const bigger = new Uint8Array(
          Math.min(BATCH_LIMIT, Math.max(this.#batch.byteLength * 2, this.#batchLength + size)),
        );
        bigger.set(this.#batch.subarray(0, this.#batchLength));
        this.#batch = bigger;
      } else {
        this.#writeBatch();
      }
    }
    writeFrameHeader(this.#batch, this.#batchLength, type, id, length);
    this.#batch.set(payload, this.#batchLength + FRAME_HEADER_SIZE);
    this.#batchLength += size;
    if (!this.#held) this.#writeBatch();
  }

  #writeBatch(): void {
    if (this.#batchLength === 0) return;
    const length = this.#batchLength;
    this.#batchLength = 0;
    writeAllSync(this.#fd, [this.#batch.subarray(0, length)]);
  }
}
