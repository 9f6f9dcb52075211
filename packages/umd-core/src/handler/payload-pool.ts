import { DIRECT_READ_MIN } from '../shared/direct-read.js';
import { allocatePayload } from '../shared/payload-buffer.js';

/**
 * Payloads below this size are cheap to allocate fresh; larger ones are pooled. The bound is the
 * stdin reader's direct-read size: from there on a fresh buffer costs a zero-filled allocation,
 * its own backing store and its share of garbage collection, all per request, while the decoded
 * value (a 64 KiB JSON text, say) costs the same either way.
 */
const POOL_MIN = DIRECT_READ_MIN;

/**
 * Request payload buffers handed back once their request is answered, for `serve()`'s
 * `reuseRequestBuffers` option. A large buffer that is allocated fresh for every request costs page
 * faults on every request (the allocator returns freed memory to the kernel after each garbage
 * collection); a reused one is already mapped, as in a C handler's read loop. Keeps at most
 * `capacity` free buffers, the largest ones.
 */
export class PayloadPool {
  readonly #capacity: number;
  readonly #free: ArrayBuffer[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** A buffer of `length` bytes, with unspecified contents (the decoder fills all of it). */
  acquire(length: number): Uint8Array {
    if (length < POOL_MIN) return allocatePayload(length);
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const size = this.#free[i]!.byteLength;
      if (size >= length && (best < 0 || size < this.#free[best]!.byteLength)) best = i;
    }
    if (best < 0) return allocatePayload(length);
    const [buffer] = this.#free.splice(best, 1);
    return new Uint8Array(buffer!, 0, length);
  }

  /** Takes back a payload whose request was answered; nobody may use its bytes afterwards. */
  release(payload: Uint8Array): void {
    const buffer = payload.buffer;
    if (
      payload.byteLength < POOL_MIN ||
      !(buffer instanceof ArrayBuffer) ||
      this.#free.includes(buffer)
    )
      return;
    this.#free.push(buffer);
    if (this.#free.length > this.#capacity) {
      // Drop the smallest: the largest serve the most requests.
      let smallest = 0;
      for (let i = 1; i < this.#free.length; i++)
        if (this.#free[i]!.byteLength < this.#free[smallest]!.byteLength) smallest = i;
      this.#free.splice(smallest, 1);
    }
  }
}
