import type { Writable } from 'node:stream';

/**
 * Writes byte chunks to a stream in call order and honours backpressure: once `write()` returns
 * false, later chunks wait in a local queue until `drain`. The stream is corked until the end of
 * the current tick, so a header and its payload, and every request issued in the same tick
 * (pipelining), leave in one `writev` without being copied together.
 */
export class OrderedWriter {
  readonly #output: Writable;
  #waiting: Uint8Array[][] = [];
  #blocked = false;
  #closed = false;
  #corked = false;

  constructor(output: Writable) {
    this.#output = output;
  }

  /** Chunks waiting for `drain`. */
  get queuedChunks(): number {
    return this.#waiting.reduce((sum, group) => sum + group.length, 0);
  }

  /** Queues or writes `chunks` as one unit. */
  write(chunks: Uint8Array[]): void {
    if (this.#closed) return;
    if (this.#blocked) {
      this.#waiting.push(chunks);
      return;
    }
    this.#writeNow(chunks);
  }

  /** Drops whatever waits and ignores later writes. */
  close(): void {
    this.#closed = true;
    this.#waiting = [];
  }

  #writeNow(chunks: Uint8Array[]): void {
    const output = this.#output;
    if (output.destroyed || output.writableEnded) return;
    if (!this.#corked) {
      this.#corked = true;
      output.cork();
      process.nextTick(this.#uncork);
    }
    let ok = true;
    for (const chunk of chunks) ok = output.write(chunk);
    if (!ok) {
      this.#blocked = true;
      output.once('drain', this.#onDrain);
    }
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#output.uncork();
  };

  readonly #onDrain = (): void => {
    this.#blocked = false;
    while (!this.#blocked && !this.#closed && this.#waiting.length > 0)
      this.#writeNow(this.#waiting.shift()!);
  };
}
