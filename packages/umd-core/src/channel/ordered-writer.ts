import type { Writable } from 'node:stream';

/** One unit handed to {@link OrderedWriter.write}; pass it to `withdraw` to take it back unsent. */
export type WriteTicket = readonly Uint8Array[];

/**
 * Writes byte chunks to a stream in call order and honours backpressure: once `write()` returns
 * false, later units wait in a local queue until `drain`. A unit still in that queue can be
 * withdrawn (an aborted request's bytes go at once, not when the handler reads again). The
 * stream is corked until the end of the current tick, so a header and its payload, and every
 * request issued in the same tick (pipelining), leave in one `writev` without being copied together.
 */
export class OrderedWriter {
  readonly #output: Writable;
  // Insertion-ordered: the head is the next unit to write; withdrawing one is O(1).
  #waiting = new Set<WriteTicket>();
  #waitingBytes = 0;
  #blocked = false;
  #closed = false;
  #corked = false;

  constructor(output: Writable) {
    this.#output = output;
  }

  /** Chunks waiting for `drain`. */
  get queuedChunks(): number {
    let sum = 0;
    for (const unit of this.#waiting) sum += unit.length;
    return sum;
  }

  /** Bytes not yet written out: waiting here, plus those the stream buffers. */
  get bufferedBytes(): number {
    const output = this.#output;
    return this.#waitingBytes + (output.destroyed ? 0 : output.writableLength);
  }

  /** Queues or writes `chunks` as one unit; returns the ticket that can withdraw it while it waits. */
  write(chunks: Uint8Array[]): WriteTicket {
    if (this.#closed) return chunks;
    if (this.#blocked) {
      this.#waiting.add(chunks);
      this.#waitingBytes += unitBytes(chunks);
      return chunks;
    }
    this.#writeNow(chunks);
    return chunks;
  }

  /**
   * Takes a unit back if none of it was handed to the stream yet; returns whether it was.
   * A unit the stream has (even partly) is written out whole: the reader's framing depends on it.
   */
  withdraw(ticket: WriteTicket): boolean {
    if (!this.#waiting.delete(ticket)) return false;
    this.#waitingBytes -= unitBytes(ticket);
    return true;
  }

  /** Drops whatever waits and ignores later writes. */
  close(): void {
    this.#closed = true;
    this.#waiting.clear();
    this.#waitingBytes = 0;
  }

  #writeNow(chunks: readonly Uint8Array[]): void {
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
    while (!this.#blocked && !this.#closed && this.#waiting.size > 0) {
      const next = this.#waiting.values().next().value!;
      this.#waiting.delete(next);
      this.#waitingBytes -= unitBytes(next);
      this.#writeNow(next);
    }
  };
}

function unitBytes(chunks: readonly Uint8Array[]): number {
  let sum = 0;
  for (const chunk of chunks) sum += chunk.byteLength;
  return sum;
}
