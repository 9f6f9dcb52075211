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
 * collection); a reused one is already mapped, as in a C handler's read loop.
 *
 * Keeps the `capacity` largest free buffers, and smaller ones beyond them while those extras
 * total at most `batchBytes`: one read can bring several requests that a pipelining host queued
 * together, each holding a buffer until it is answered, and a pool sized for `capacity` alone
 * would hand the rest fresh buffers on every such read. The extras are bounded in bytes, so a
 * run of large requests never leaves more than `capacity` large buffers behind.
 */
export class PayloadPool {
  readonly #capacity: number;
  readonly #batchBytes: number;
  /** Free buffers, largest first. */
  readonly #free: ArrayBuffer[] = [];

  constructor(capacity: number, batchBytes = 0) {
    this.#capacity = capacity;
    this.#batchBytes = batchBytes;
  }

  /** A buffer of `length` bytes, with unspecified contents (the decoder fills all of it). */
  acquire(length: number): Uint8Array {
    if (length < POOL_MIN) return allocatePayload(length);
    // The smallest that fits: the last one, from the end, that is large enough.
    let best = this.#free.length - 1;
    while (best >= 0 && this.#free[best]!.byteLength < length) best--;
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
    let at = this.#free.length;
    while (at > 0 && this.#free[at - 1]!.byteLength < buffer.byteLength) at--;
    this.#free.splice(at, 0, buffer);
    // Drop the smallest while the buffers beyond the `capacity` largest exceed `batchBytes`.
    let extraBytes = 0;
    for (let i = this.#capacity; i < this.#free.length; i++)
      extraBytes += this.#free[i]!.byteLength;
    while (this.#free.length > this.#capacity && extraBytes > this.#batchBytes)
      extraBytes -= this.#free.pop()!.byteLength;
  }
}
