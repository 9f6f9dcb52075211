import type { Writable } from 'node:stream';

/**
 * Writes byte chunks to a stream in call order and honours backpressure: once `write()` returns
 * false, later chunks wait in a local queue until `drain`. Chunks handed over together go out
 * corked, so a header and its payload leave as one `writev` without being copied together.
 */
export class OrderedWriter {
  readonly #output: Writable;
  #waiting: Uint8Array[][] = [];
  #blocked = false;
  #closed = false;

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
    let ok: boolean;
    if (chunks.length === 1) {
      ok = output.write(chunks[0]);
    } else {
      output.cork();
      ok = true;
      for (const chunk of chunks) ok = output.write(chunk);
      output.uncork();
    }
    if (!ok) {
      this.#blocked = true;
      output.once('drain', this.#onDrain);
    }
  }

  readonly #onDrain = (): void => {
    this.#blocked = false;
    while (!this.#blocked && !this.#closed && this.#waiting.length > 0) this.#writeNow(this.#waiting.shift()!);
  };
}
