import { FRAME_HEADER_SIZE, FrameType } from '../codec/constants.js';
import type { Frame } from '../codec/frame.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import { protocolError } from '../codec/protocol-error.js';
import { type UmdError, isUmdError } from '../errors/umd-error.js';
import { readScratch } from './read-scratch.js';
import { allocateReply } from './reply-memory.js';
import type { PendingRequest } from './request-book.js';
import type { ReplySinkControl } from './direct-read-socket.js';
import { DIRECT_READ_MIN } from '../shared/direct-read.js';

/** Where a header read alone lands (a view of the shared scratch, consumed like any scratch read). */
const HEADER_TARGET = readScratch.subarray(0, FRAME_HEADER_SIZE);

/**
 * The input half of a framed channel: turns the handler's bytes into frames, from `data` chunks or
 * from direct reads, and picks each payload's buffer: a REPLY that fits goes into its requester's
 * `replyInto`, anything else into a fresh buffer. Caller memory is a direct-read target only where
 * the socket can be re-armed once that call settles, and never written after it gave up.
 */
export class FrameReader {
  readonly #decoder: FrameDecoder;
  /** The request in flight under an id, to find its `replyInto`. */
  readonly #inFlight: (id: number) => PendingRequest | undefined;
  /** The last direct-read target handed out was the payload itself. */
  #readingDirect = false;
  /** The request whose own `replyInto` buffer the decoder is filling right now. */
  #fillingCallerBuffer: PendingRequest | undefined;
  /** The next direct read is armed with a caller's `replyInto` memory. */
  #armedCallerMemory = false;
  /** The last frame was large: the next one likely is too. */
  #lastWasLarge = false;

  constructor(maxPayload: number, inFlight: (id: number) => PendingRequest | undefined) {
    this.#inFlight = inFlight;
    this.#decoder = new FrameDecoder({ maxPayload, allocate: this.#allocate });
  }

  /** Bytes received of a frame not yet complete. */
  get bufferedBytes(): number {
    return this.#decoder.bufferedBytes;
  }

  /**
   * `entry` gave up (abort, timeout): its `replyInto` is the caller's again. If its reply is being
   * read into it, the rest goes elsewhere, and a read armed with it is re-armed. With no entry
   * (the channel closed, nothing is decoded any more) only the armed read is.
   */
  release(entry: PendingRequest | undefined, directReads: ReplySinkControl | undefined): void {
    if (entry !== undefined) {
      if (this.#fillingCallerBuffer !== entry) return;
      this.#decoder.detachPayload();
      this.#fillingCallerBuffer = undefined;
    }
    if (this.#armedCallerMemory) directReads?.rearm();
  }

  /** Direct reads: where the next read goes, the payload being filled when enough of it is missing. */
  target(directReads: ReplySinkControl, closed: boolean): Uint8Array {
    const payload = closed ? undefined : this.#decoder.payloadTarget();
    const callerMemory = this.#fillingCallerBuffer !== undefined;
    this.#readingDirect =
      payload !== undefined &&
      payload.byteLength >= DIRECT_READ_MIN &&
      (!callerMemory || directReads.canRearm);
    this.#armedCallerMemory = this.#readingDirect && callerMemory;
    if (this.#readingDirect) return payload!;
    // After a large reply expect another: its header read alone lets all of its payload be read
    // in place (a syscall more; the socket's next read follows at once, in the same loop turn)
    // instead of the first read's worth landing here and being copied out.
    if (this.#lastWasLarge && this.#decoder.bufferedBytes === 0) return HEADER_TARGET;
    return readScratch;
  }

  /**
   * Direct reads: `count` bytes landed in `into`, the last target. Returns the frames they
   * complete, or the protocol error that must close the channel.
   */
  read(count: number, into: Uint8Array): Frame[] | UmdError {
    if (!this.#readingDirect) return this.push(into.subarray(0, count));
    const frame = this.#decoder.commitPayload(count);
    if (frame === undefined) return [];
    this.#fillingCallerBuffer = undefined;
    this.#lastWasLarge = true;
    return [frame];
  }

  /** Bytes from a `data` event: the frames they complete, or the protocol error that must close the channel. */
  push(chunk: Uint8Array): Frame[] | UmdError {
    try {
      const frames = this.#decoder.push(chunk);
      // The chunk may have ended one reply and begun the next: only a payload still open is being filled.
      if (frames.length > 0) {
        if (this.#decoder.payloadTarget() === undefined) this.#fillingCallerBuffer = undefined;
        this.#lastWasLarge = frames[frames.length - 1]!.payload.byteLength >= DIRECT_READ_MIN;
      }
      return frames;
    } catch (error) {
      return isUmdError(error) ? error : protocolError(String(error), { cause: error });
    }
  }

  readonly #allocate = (length: number, type: FrameType, id: number): Uint8Array => {
    this.#fillingCallerBuffer = undefined;
    if (type === FrameType.Reply) {
      const entry = this.#inFlight(id);
      const into = entry?.replyInto;
      if (into !== undefined && into.byteLength >= length) {
        this.#fillingCallerBuffer = entry;
        return into.subarray(0, length);
      }
    }
    return allocateReply(length);
  };
}
