import type { Writable } from 'node:stream';
import { DIRECT_WRITE_CHUNKS, type DirectWriter, directWriterOf } from './direct-writes.js';

/** One unit handed to {@link OrderedWriter.write}; pass it to `withdraw` to take it back unsent. */
export type WriteTicket = object;

interface Unit {
  readonly chunks: readonly Uint8Array[];
  /** The unit's length when it was made: its frame header (or a raw reply's length) counts on it. */
  readonly bytes: number;
  /** Set for a unit holding the caller's memory, the only kind whose length is checked. */
  readonly onChanged: ((written: boolean) => void) | undefined;
}

/**
 * Writes byte chunks to a stream in call order and honours backpressure. Units collect here
 * until the current job's microtasks run (every request issued by the same synchronous code,
 * pipelining) and go to the stream together (one `writev`, no copy), and
 * only while the stream holds nothing unwritten: the rest wait here until it has written all it
 * had. So a unit is never parked in the stream's own buffer, where a caller could still transfer
 * (detach) or shrink a payload behind a header that already promised its length. Just before a
 * unit holding the caller's memory (one written with an `onChanged`) goes, its length is checked
 * against the one it had when written: a unit that changed is dropped whole (its `onChanged`
 * runs) and the stream stays in step. A unit still waiting can be withdrawn (an aborted
 * request's bytes go at once, not when the handler reads again).
 *
 * Such a unit, handed over uncopied, is checked again when the stream has written it: the kernel
 * may have taken only part of it at once, and libuv writes the rest later from the caller's
 * memory, which a transfer gives away. A unit whose length changed by then was (perhaps) written
 * from memory the caller no longer owned: its `onChanged(true)` runs, and the stream can no
 * longer be trusted to have carried the caller's bytes. A unit of the channel's own memory (a
 * small frame copied behind its header, a CANCEL) is written without an `onChanged`: nothing can
 * change it, and neither check runs.
 *
 * A stdio socket's host end (`openStdioSockets()`) is written by the host addon at once where it
 * holds nothing unwritten: one `sendmsg` of the batch, as libuv's own `writev` would be, without
 * Node's `Writable`, its write request and its after-write tick; what the socket does not take at
 * once goes to the stream as before (and is checked after its write, as above).
 */
export class OrderedWriter {
  readonly #output: Writable;
  /**
   * The stream takes many chunks in one `_writev` (a socket, the handler's stdin). Any other
   * stream writes one chunk at a time and buffers the rest, so there each batch is one unit and
   * a unit of several chunks is joined first: that copy is the price of never leaving a
   * caller's payload in the stream's buffer behind its header.
   */
  readonly #writev: boolean;
  // Insertion-ordered: the head is the next unit to write; withdrawing one is O(1).
  #waiting = new Map<WriteTicket, Unit>();
  #waitingBytes = 0;
  #flushScheduled = false;
  /** A batch was handed to the stream and its write callback has not run yet. */
  #inStream = false;
  /** The units of that batch handed over without a copy, to check once it is written. */
  #handed: Unit[] = [];
  #closed = false;

  /** Writes the stream's socket at once outside Node's `Writable` (a stdio socket), or `undefined`. */
  readonly #direct: DirectWriter | undefined;

  constructor(output: Writable) {
    this.#output = output;
    this.#direct = directWriterOf(output);
    this.#writev = typeof (output as { _writev?: unknown })._writev === 'function';
  }

  /** Chunks not yet handed to the stream. */
  get queuedChunks(): number {
    let sum = 0;
    for (const unit of this.#waiting.values()) sum += unit.chunks.length;
    return sum;
  }

  /** Bytes not yet written out: waiting here, plus those the stream buffers. */
  get bufferedBytes(): number {
    const output = this.#output;
    return this.#waitingBytes + (output.destroyed ? 0 : output.writableLength);
  }

  /**
   * Queues `chunks` as one unit, written in a microtask or once the stream has written
   * what it holds. Give `onChanged` when the chunks hold memory a caller may still transfer or
   * shrink (a large payload, a raw request): if by then the unit's length differs from `bytes`
   * (default: its length now), `onChanged(false)` runs instead (nothing of the unit written); if
   * it differs once the stream has written it, `onChanged(true)` runs (see the class).
   * Returns the ticket that can withdraw it while it waits.
   */
  write(
    chunks: Uint8Array[],
    onChanged?: (written: boolean) => void,
    bytes = unitBytes(chunks),
  ): WriteTicket {
    const ticket: WriteTicket = chunks;
    if (this.#closed) return ticket;
    this.#waiting.set(ticket, { chunks, bytes, onChanged });
    this.#waitingBytes += bytes;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    return ticket;
  }

  /**
   * Takes a unit back if none of it was handed to the stream yet; returns whether it was.
   * A unit the stream has (even partly) is written out whole: the reader's framing depends on it.
   */
  withdraw(ticket: WriteTicket): boolean {
    const unit = this.#waiting.get(ticket);
    if (unit === undefined) return false;
    this.#waiting.delete(ticket);
    this.#waitingBytes -= unit.bytes;
    return true;
  }

  /** Drops whatever waits and ignores later writes. */
  close(): void {
    this.#closed = true;
    this.#waiting.clear();
    this.#waitingBytes = 0;
    this.#handed = [];
  }

  /** Hands every waiting unit to the stream at once, if it has written all it had. */
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const output = this.#output;
    if (this.#closed || this.#waiting.size === 0) return;
    if (output.destroyed || output.writableEnded) return;
    if (this.#inStream) return;
    let changed: Unit[] | undefined;
    const batch: Uint8Array[] = [];
    const handed: Unit[] = [];
    for (const [ticket, unit] of this.#waiting) {
      if (!this.#writev && batch.length > 0) break;
      this.#waiting.delete(ticket);
      this.#waitingBytes -= unit.bytes;
      const checked = unit.onChanged !== undefined;
      if (checked && unitBytes(unit.chunks) !== unit.bytes) {
        changed ??= [];
        changed.push(unit);
        continue;
      }
      const uncopied = this.#writev || unit.chunks.length === 1;
      if (checked && uncopied) handed.push(unit);
      if (uncopied) batch.push(...unit.chunks);
      else batch.push(Buffer.concat(unit.chunks, unit.bytes));
    }
    const rest = this.#writeNow(batch);
    if (rest.length > 0) {
      const corked = this.#writev && rest.length > 1;
      if (corked) output.cork();
      for (let i = 0; i < rest.length - 1; i++) output.write(rest[i]);
      this.#inStream = true;
      this.#handed.push(...handed);
      output.write(rest[rest.length - 1], this.#onWritten);
      if (corked) output.uncork();
    }
    if (changed !== undefined) for (const unit of changed) unit.onChanged?.(false);
  };

  /**
   * Writes what the socket takes at once with its direct writer (a stdio socket's), where it has
   * one and holds nothing unwritten (so the order stays); returns what is left for the stream.
   * A unit the socket took whole this way is written from memory the caller still owned, so it
   * needs no check after the write.
   */
  #writeNow(batch: Uint8Array[]): Uint8Array[] {
    const direct = this.#direct;
    const output = this.#output;
    if (direct === undefined || batch.length === 0 || batch.length > DIRECT_WRITE_CHUNKS)
      return batch;
    if (output.destroyed || output.writableLength > 0 || output.writableCorked > 0) return batch;
    let written = direct(batch);
    if (written < 0) return []; // the stream failed (destroyed with the error): nothing more goes
    let i = 0;
    while (i < batch.length && written >= batch[i]!.byteLength) written -= batch[i++]!.byteLength;
    if (i === batch.length) return [];
    const rest = batch.slice(i);
    if (written > 0) rest[0] = rest[0]!.subarray(written);
    return rest;
  }

  /** The stream wrote a batch: what changed while it did is reported; what waited goes now. */
  readonly #onWritten = (): void => {
    this.#inStream = false;
    const handed = this.#handed;
    if (handed.length > 0) {
      this.#handed = [];
      for (const unit of handed) {
        if (this.#closed) return;
        if (unitBytes(unit.chunks) !== unit.bytes) unit.onChanged?.(true);
      }
    }
    if (!this.#flushScheduled && this.#waiting.size > 0) this.#flush();
  };
}

function unitBytes(chunks: readonly Uint8Array[]): number {
  let sum = 0;
  for (const chunk of chunks) sum += chunk.byteLength;
  return sum;
}
