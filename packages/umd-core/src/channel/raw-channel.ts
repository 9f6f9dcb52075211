import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { protocolError } from '../codec/protocol-error.js';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { ChannelTransport } from './channel-transport.js';
import { type RawChannelOptions, rawMaxReply } from './channel-options.js';
import { type ChildChannelOptions, childStreams } from './child-exit.js';
import { closedError, errorForPending } from './close-reason.js';
import { type Exchange, checkExchange, rejectPending } from './raw-exchange.js';
import { readScratch } from './read-scratch.js';
import { allocateReply } from './reply-memory.js';
import {
  type ReplyOptions,
  abortedError,
  armRequest,
  detachedPayloadError,
  isTimeoutReason,
  replyIntoDetachedError,
  timeoutError,
} from './request-options.js';
import { DIRECT_READ_MIN } from '../shared/direct-read.js';

/** Codes after which the byte stream is out of step and must not be reused. */
const POISONING = new Set<string>([
  UmdErrorCode.PROTOCOL,
  UmdErrorCode.TIMEOUT,
  UmdErrorCode.ABORTED,
]);

/**
 * The host side of raw mode (the kernel's `umd_send_recv()`): write the request bytes as they are,
 * read exactly `replyLength` bytes back. One exchange at a time; later calls wait in order.
 * Replies of any size up to `maxReply` work: they are read chunk by chunk into one buffer
 * allocated at the reply's final size.
 *
 * Events: `close` (reason: {@link UmdError} | undefined), exactly once, as for `FramedChannel`;
 * also when a timeout hits an exchange in flight (the stream is then out of step). An abort (the
 * caller's signal) of an exchange in flight fails that call alone: the rest of its reply is read
 * and dropped before the next exchange is sent, so the stream stays in step.
 */
export class RawChannel extends ChannelTransport {
  readonly #maxReply: number;
  #queue: Exchange[] = [];
  #active: Exchange | undefined;
  /** The exchange whose reply the last direct-read target was, if it was one. */
  #readingInto: Exchange | undefined;

  /**
   * @param input - bytes from the handler (its stdout, or the host end of a {@link ReplySocket}).
   * @param output - bytes to the handler (its stdin).
   */
  constructor(input: Readable, output: Writable, options: RawChannelOptions = {}) {
    const maxReply = rawMaxReply(options);
    super(input, output);
    this.#maxReply = maxReply;
  }

  /**
   * 1 while the exchange in flight was given up by its caller (abort) and the rest of its reply
   * has not come yet: the handler is still busy with it (or stuck), and the next exchange waits.
   */
  get cancelledUnanswered(): number {
    return this.#active?.abandoned === true ? 1 : 0;
  }

  /**
   * A raw channel over a child's stdout and stdin. A short read reports the child's exit status;
   * a child whose stream went out of step (timeout, unsolicited bytes) is killed (SIGKILL).
   */
  static fromChild(
    child: ChildProcess,
    options: RawChannelOptions & ChildChannelOptions = {},
  ): RawChannel {
    const { stdin, stdout } = childStreams(child, options);
    const channel = new RawChannel(stdout, stdin, options);
    channel.bindChild(child, {
      processErrorCode: () => UmdErrorCode.HANDLER_EXITED,
      untrusted: (reason) => reason !== undefined && POISONING.has(reason.code),
    });
    return channel;
  }

  /**
   * Writes `request`, then resolves with exactly `replyLength` bytes read back. Rejects with
   * `UMD_SHORT_READ` if the stream ends first, `UMD_TOO_LARGE` if `replyLength` exceeds `maxReply`
   * (nothing sent), `UMD_TIMEOUT` / `UMD_ABORTED` per `options` (a timeout in flight closes the
   * channel with that reason: the stream is out of step; an abort in flight has the rest of the
   * reply read and dropped, and a later exchange's timeout while that rest is still missing
   * closes the channel), `UMD_PROTOCOL` when the handler
   * sends more bytes than asked for. With `options.replyInto` (at least `replyLength` bytes, else
   * `UMD_INVALID_ARGUMENT`) the reply is read into that buffer (see {@link ReplyOptions}); without
   * it, a reply of 256 KiB or more is in memory of the native helper where it loads, as
   * `FramedChannel.request()`'s. A `request` transferred (or shrunk) while the call is pending
   * fails it with `UMD_INVALID_ARGUMENT`: alone before its turn to be written; once the stream
   * was writing it, the channel closes too, as `FramedChannel.request()` says.
   */
  exchange(
    request: Uint8Array,
    replyLength: number,
    options: ReplyOptions = {},
  ): Promise<Uint8Array> {
    try {
      checkExchange(request, replyLength, this.#maxReply, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closed) return Promise.reject(errorForPending(this.closeReason ?? closedError()));
    if (options.signal?.aborted)
      return Promise.reject(abortedError(options.signal, 'the exchange'));
    return new Promise<Uint8Array>((resolve, reject) => {
      const { replyInto } = options;
      const exchange: Exchange = {
        request,
        requestLength: request.byteLength,
        // After a close (the only way an exchange in flight ends early) nothing is written into it.
        reply: replyInto ? replyInto.subarray(0, replyLength) : allocateReply(replyLength),
        length: replyLength,
        callerMemory: replyInto !== undefined,
        lost: false,
        abandoned: false,
        filled: 0,
        resolve,
        reject,
        disarm: () => {},
        state: 'queued',
      };
      if (options.signal !== undefined || options.timeoutMs !== undefined) {
        exchange.disarm = armRequest(
          options,
          // A signal that timed out is a timeout: the handler may be stuck.
          (signal) =>
            this.#giveUp(
              exchange,
              abortedError(signal, 'the exchange'),
              !isTimeoutReason(signal.reason),
            ),
          (timeoutMs) => this.#giveUp(exchange, timeoutError(timeoutMs, 'the exchange'), false),
        );
      }
      this.#queue.push(exchange);
      this.#next();
    });
  }

  /** Close: the exchange in flight and every queued one reject with the failure. */
  protected failAll(failure: UmdError): void {
    // A direct read armed with a caller's memory gets another target (the scratch) before the call settles.
    if (this.#readingInto?.callerMemory) this.directReads?.rearm();
    const all = this.#active ? [this.#active, ...this.#queue] : [...this.#queue];
    this.#active = undefined;
    this.#queue = [];
    for (const exchange of all) rejectPending(exchange, errorForPending(failure));
  }

  #next(): void {
    while (!this.closed && this.#active === undefined && this.#queue.length > 0) {
      const exchange = this.#queue.shift()!;
      if (exchange.state !== 'queued') continue;
      exchange.state = 'active';
      this.#active = exchange;
      if (exchange.requestLength > 0)
        this.writer.write(
          [exchange.request],
          (written) =>
            written
              ? this.cutOff('the request of an exchange', (error) => rejectPending(exchange, error))
              : this.#refuseChanged(exchange),
          exchange.requestLength,
        );
      if (exchange.length === 0) this.#finish(exchange);
    }
  }

  /**
   * The writer dropped `exchange`'s request unsent: its buffer was transferred (or shrunk) after
   * the call. The handler never saw a byte of it, so no reply comes; the channel goes on.
   */
  #refuseChanged(exchange: Exchange): void {
    if (this.#active !== exchange) return;
    this.#active = undefined;
    // A direct read armed with the caller's memory gets the scratch: that memory is theirs again.
    if (this.#readingInto === exchange && exchange.callerMemory) this.directReads?.rearm();
    rejectPending(exchange, detachedPayloadError('request'));
    exchange.state = 'done'; // an abandoned one settled already; it is done now too
    this.#next();
  }

  #finish(exchange: Exchange): void {
    exchange.state = 'done';
    exchange.disarm();
    this.#active = undefined;
    if (exchange.abandoned) {
      // Its rest was dropped: the stream is in step again for the next exchange.
    } else if (this.#lost(exchange) && exchange.length > 0)
      exchange.reject(replyIntoDetachedError('the exchange'));
    else exchange.resolve(exchange.reply);
    this.#next();
  }

  /** The caller transferred its `replyInto` mid-call: the rest is read and dropped (the stream stays in step). */
  #lost(exchange: Exchange): boolean {
    if (!exchange.lost && exchange.callerMemory && exchange.reply.byteLength !== exchange.length)
      exchange.lost = true;
    return exchange.lost;
  }

  /** `byCaller`: the caller gave up (its signal, not one that timed out); else a timeout. */
  #giveUp(exchange: Exchange, error: UmdError, byCaller: boolean): void {
    if (exchange.state === 'done' || exchange.abandoned) return;
    if (exchange.state === 'queued') {
      exchange.state = 'done';
      exchange.reject(error);
      // Its time ran out behind a reply nobody waits for, which the handler may never finish.
      if (!byCaller && this.#active?.abandoned) this.close(error);
      return;
    }
    if (byCaller) {
      // The handler is not at fault, and a raw reply's length is known: the call fails now, the
      // rest of its reply is read and dropped, and the stream stays in step. A direct read
      // armed with the caller's memory gets the scratch instead: that memory is theirs again.
      exchange.abandoned = true;
      exchange.lost = true;
      exchange.disarm();
      exchange.reject(error);
      if (this.#readingInto === exchange && exchange.callerMemory) this.directReads?.rearm();
      return;
    }
    // A timeout in flight: the handler may be stuck, and the stream can never be realigned.
    this.close(error);
  }

  /**
   * Direct reads: where the next read goes, the reply being filled when enough of it is missing.
   * A caller's own memory is a target only where the socket can be re-armed when the call settles.
   */
  protected readTarget(): Uint8Array {
    const exchange = this.closed ? undefined : this.#active;
    const direct =
      exchange !== undefined &&
      !this.#lost(exchange) &&
      exchange.length - exchange.filled >= DIRECT_READ_MIN;
    if (direct && (!exchange.callerMemory || this.directReads!.canRearm)) {
      this.#readingInto = exchange;
      return exchange.reply.subarray(exchange.filled);
    }
    this.#readingInto = undefined;
    return readScratch;
  }

  /** Direct reads: `count` bytes were read into the last target. */
  protected onRead(count: number, into: Uint8Array): void {
    const exchange = this.#readingInto;
    if (exchange === undefined) return this.onData(into.subarray(0, count));
    // Only a close ends an exchange between a target and its read, and that returned above.
    exchange.filled += count;
    if (exchange.filled === exchange.length) this.#finish(exchange);
  }

  protected onData(chunk: Uint8Array): void {
    const exchange = this.#active;
    if (exchange === undefined) {
      this.close(
        protocolError(
          `the handler sent ${chunk.byteLength} unsolicited bytes while no exchange was in flight`,
        ),
      );
      return;
    }
    const room = exchange.length - exchange.filled;
    if (chunk.byteLength > room) {
      this.close(
        protocolError(
          `the handler sent ${exchange.filled + chunk.byteLength} or more bytes for a reply of ${exchange.length}`,
        ),
      );
      return;
    }
    if (!this.#lost(exchange)) exchange.reply.set(chunk, exchange.filled);
    exchange.filled += chunk.byteLength;
    if (exchange.filled === exchange.length) this.#finish(exchange);
  }

  protected inputEnded(): (reason: UmdError) => void {
    const active = this.#active;
    if (active === undefined) return (reason) => this.close(reason);
    const shortRead = `the handler's output ended after ${active.filled} of ${active.length} reply bytes`;
    return (reason) => {
      if (active.state === 'active' && !active.abandoned) {
        active.state = 'done';
        active.disarm();
        this.#active = undefined;
        active.reject(
          new UmdError(UmdErrorCode.SHORT_READ, `${shortRead} (${reason.message})`, {
            cause: reason,
            exitCode: reason.exitCode,
            signal: reason.signal,
            pid: reason.pid,
          }),
        );
      }
      this.close(reason);
    };
  }
}
