import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { DEFAULT_MAX_PAYLOAD, MAX_PAYLOAD_LIMIT } from '../codec/constants.js';
import { protocolError } from '../codec/protocol-error.js';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import {
  type ChildChannelOptions,
  childEndReason,
  childStreams,
  killUntrusted,
} from './child-exit.js';
import type { ReplySinkControl } from './reply-socket.js';
import { readScratch } from './read-scratch.js';
import { listenToStreams } from './stream-listener.js';
import { closedError, errorForPending } from './close-reason.js';
import { OrderedWriter } from './ordered-writer.js';
import { allocatePayload } from '../shared/payload-buffer.js';
import {
  type ReplyOptions,
  abortedError,
  armRequest,
  checkReplyInto,
  checkRequestOptions,
  timeoutError,
} from './request-options.js';

/** Options of {@link RawChannel}. */
export interface RawChannelOptions {
  /** Largest `replyLength` accepted by `exchange()` (default 64 MiB); more is `UMD_TOO_LARGE`, nothing sent. */
  maxReply?: number;
}

interface Exchange {
  readonly request: Uint8Array;
  readonly reply: Uint8Array;
  /** `reply` is the caller's `replyInto` memory. */
  readonly callerMemory: boolean;
  filled: number;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (error: UmdError) => void;
  disarm: () => void;
  state: 'queued' | 'active' | 'done';
}

/** A reply with at least this much still to come is read straight into its buffer (direct reads only: a reply socket, or a child stdout pipe). */
const DIRECT_READ_MIN = 16 * 1024;

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
 * also when a timeout or abort hits an exchange in flight (the stream is then out of step).
 */
export class RawChannel extends EventEmitter {
  /** Stops listening to the input (it keeps draining). */
  readonly #stopListening: () => void;
  readonly #output: Writable;
  readonly #writer: OrderedWriter;
  readonly #maxReply: number;
  #queue: Exchange[] = [];
  #active: Exchange | undefined;
  #closed = false;
  #closeReason: UmdError | undefined;
  #endReason: (() => Promise<UmdError>) | undefined;
  #ending = false;
  /** The exchange whose reply the last direct-read target was, if it was one. */
  #readingInto: Exchange | undefined;
  /** Set when replies are read straight into buffers (a reply socket, or a child stdout pipe). */
  readonly #directReads: ReplySinkControl | undefined;

  /**
   * @param input - bytes from the handler (its stdout, or the host end of a {@link ReplySocket}).
   * @param output - bytes to the handler (its stdin).
   */
  constructor(input: Readable, output: Writable, options: RawChannelOptions = {}) {
    super();
    const maxReply = options.maxReply ?? DEFAULT_MAX_PAYLOAD;
    if (!Number.isInteger(maxReply) || maxReply < 0 || maxReply > MAX_PAYLOAD_LIMIT) {
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `maxReply must be an integer from 0 to ${MAX_PAYLOAD_LIMIT}, got ${maxReply}`,
      );
    }
    this.#maxReply = maxReply;
    this.#output = output;
    this.#writer = new OrderedWriter(output);
    const listening = listenToStreams(input, output, {
      sink: {
        target: () => this.#readTarget(),
        consume: (count, into) => this.#onRead(count, into),
      },
      onData: this.#onData,
      onEnd: this.#onEnd,
      onError: this.#onStreamError,
    });
    this.#stopListening = listening.stop;
    this.#directReads = listening.directReads;
  }

  /**
   * A raw channel over a child's stdout and stdin. A short read reports the child's exit status;
   * a child whose stream went out of step (timeout, abort, unsolicited bytes) is killed (SIGKILL).
   */
  static fromChild(
    child: ChildProcess,
    options: RawChannelOptions & ChildChannelOptions = {},
  ): RawChannel {
    const { stdin, stdout } = childStreams(child, options.replySocket);
    const channel = new RawChannel(stdout, stdin, options);
    channel.#endReason = () => childEndReason(child);
    child.on('error', (cause: Error) => {
      channel.close(
        new UmdError(UmdErrorCode.HANDLER_EXITED, `handler process error: ${cause.message}`, {
          cause,
          pid: child.pid,
        }),
      );
    });
    channel.once('close', (reason: UmdError | undefined) => {
      if (reason !== undefined && POISONING.has(reason.code)) killUntrusted(child);
    });
    return channel;
  }

  /** True once the channel is closed; every later call rejects. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Why the channel closed (`undefined` while open or after a plain `close()`). */
  get closeReason(): UmdError | undefined {
    return this.#closeReason;
  }

  /**
   * Writes `request`, then resolves with exactly `replyLength` bytes read back. Rejects with
   * `UMD_SHORT_READ` if the stream ends first, `UMD_TOO_LARGE` if `replyLength` exceeds `maxReply`
   * (nothing sent), `UMD_TIMEOUT` / `UMD_ABORTED` per `options` (if the exchange was in flight, the
   * channel closes with that reason: the stream is out of step), `UMD_PROTOCOL` when the handler
   * sends more bytes than asked for. With `options.replyInto` (at least `replyLength` bytes, else
   * `UMD_INVALID_ARGUMENT`) the reply is read into that buffer (see {@link ReplyOptions}).
   */
  exchange(
    request: Uint8Array,
    replyLength: number,
    options: ReplyOptions = {},
  ): Promise<Uint8Array> {
    if (!(request instanceof Uint8Array)) {
      return Promise.reject(
        new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'request must be a Uint8Array'),
      );
    }
    if (!Number.isInteger(replyLength) || replyLength < 0) {
      return Promise.reject(
        new UmdError(
          UmdErrorCode.INVALID_ARGUMENT,
          `replyLength must be an integer >= 0, got ${replyLength}`,
        ),
      );
    }
    if (replyLength > this.#maxReply) {
      return Promise.reject(
        new UmdError(
          UmdErrorCode.TOO_LARGE,
          `reply length ${replyLength} exceeds maxReply ${this.#maxReply}; nothing was sent`,
        ),
      );
    }
    try {
      checkRequestOptions(options);
      checkReplyInto(options.replyInto, request);
    } catch (error) {
      return Promise.reject(error);
    }
    const { replyInto } = options;
    if (replyInto !== undefined && replyInto.byteLength < replyLength) {
      return Promise.reject(
        new UmdError(
          UmdErrorCode.INVALID_ARGUMENT,
          `replyInto holds ${replyInto.byteLength} bytes, fewer than the reply length ${replyLength}; nothing was sent`,
        ),
      );
    }
    if (this.#closed) return Promise.reject(errorForPending(this.#closeReason ?? closedError()));
    if (options.signal?.aborted)
      return Promise.reject(abortedError(options.signal, 'the exchange'));
    return new Promise<Uint8Array>((resolve, reject) => {
      const exchange: Exchange = {
        request,
        // After a close (the only way an exchange in flight ends early) nothing is written into it.
        reply: replyInto ? replyInto.subarray(0, replyLength) : allocatePayload(replyLength),
        callerMemory: replyInto !== undefined,
        filled: 0,
        resolve,
        reject,
        disarm: () => {},
        state: 'queued',
      };
      if (options.signal !== undefined || options.timeoutMs !== undefined) {
        exchange.disarm = armRequest(
          options,
          (signal) => this.#giveUp(exchange, abortedError(signal, 'the exchange')),
          (timeoutMs) => this.#giveUp(exchange, timeoutError(timeoutMs, 'the exchange')),
        );
      }
      this.#queue.push(exchange);
      this.#next();
    });
  }

  /**
   * Closes the channel: the exchange in flight and every queued one reject at once with `reason`'s
   * code (default `UMD_CLOSED`), the output is ended, `close` is emitted. Idempotent.
   */
  close(reason?: UmdError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    const failure = reason ?? closedError();
    this.#stopListening();
    // A direct read armed with a caller's memory gets another target (the scratch) before the call settles.
    if (this.#readingInto?.callerMemory) this.#directReads?.rearm();
    this.#writer.close();
    const all = this.#active ? [this.#active, ...this.#queue] : [...this.#queue];
    this.#active = undefined;
    this.#queue = [];
    for (const exchange of all) {
      if (exchange.state === 'done') continue;
      exchange.state = 'done';
      exchange.disarm();
      exchange.reject(errorForPending(failure));
    }
    if (!this.#output.destroyed && !this.#output.writableEnded) this.#output.end();
    this.emit('close', reason);
  }

  #next(): void {
    while (!this.#closed && this.#active === undefined && this.#queue.length > 0) {
      const exchange = this.#queue.shift()!;
      if (exchange.state !== 'queued') continue;
      exchange.state = 'active';
      this.#active = exchange;
      if (exchange.request.byteLength > 0) this.#writer.write([exchange.request]);
      if (exchange.reply.byteLength === 0) this.#finish(exchange);
    }
  }

  #finish(exchange: Exchange): void {
    exchange.state = 'done';
    exchange.disarm();
    this.#active = undefined;
    exchange.resolve(exchange.reply);
    this.#next();
  }

  #giveUp(exchange: Exchange, error: UmdError): void {
    if (exchange.state === 'done') return;
    if (exchange.state === 'queued') {
      exchange.state = 'done';
      exchange.reject(error);
      return;
    }
    // In flight: part of the reply may still come, so the stream can never be realigned.
    this.close(error);
  }

  /**
   * Direct reads: where the next read goes, the reply being filled when enough of it is missing.
   * A caller's own memory is a target only where the socket can be re-armed when the call settles.
   */
  #readTarget(): Uint8Array {
    const exchange = this.#closed ? undefined : this.#active;
    const direct =
      exchange !== undefined && exchange.reply.byteLength - exchange.filled >= DIRECT_READ_MIN;
    if (direct && (!exchange.callerMemory || this.#directReads!.canRearm)) {
      this.#readingInto = exchange;
      return exchange.reply.subarray(exchange.filled);
    }
    this.#readingInto = undefined;
    return readScratch;
  }

  /** Direct reads: `count` bytes were read into the last target. After close they are dropped. */
  #onRead(count: number, into: Uint8Array): void {
    if (this.#closed) return;
    const exchange = this.#readingInto;
    if (exchange === undefined) return this.#onData(into.subarray(0, count));
    // Only a close ends an exchange between a target and its read, and that returned above.
    exchange.filled += count;
    if (exchange.filled === exchange.reply.byteLength) this.#finish(exchange);
  }

  readonly #onData = (chunk: Uint8Array): void => {
    if (this.#closed) return;
    const exchange = this.#active;
    if (exchange === undefined) {
      this.close(
        protocolError(
          `the handler sent ${chunk.byteLength} unsolicited bytes while no exchange was in flight`,
        ),
      );
      return;
    }
    const room = exchange.reply.byteLength - exchange.filled;
    if (chunk.byteLength > room) {
      this.close(
        protocolError(
          `the handler sent ${exchange.filled + chunk.byteLength} or more bytes for a reply of ${exchange.reply.byteLength}`,
        ),
      );
      return;
    }
    exchange.reply.set(chunk, exchange.filled);
    exchange.filled += chunk.byteLength;
    if (exchange.filled === exchange.reply.byteLength) this.#finish(exchange);
  };

  readonly #onEnd = (): void => {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    const active = this.#active;
    const shortRead =
      active &&
      new UmdError(
        UmdErrorCode.SHORT_READ,
        `the handler's output ended after ${active.filled} of ${active.reply.byteLength} reply bytes`,
      );
    const finish = (reason: UmdError) => {
      if (this.#closed) return;
      if (active && active.state === 'active' && shortRead) {
        active.state = 'done';
        active.disarm();
        this.#active = undefined;
        active.reject(
          new UmdError(UmdErrorCode.SHORT_READ, `${shortRead.message} (${reason.message})`, {
            cause: reason,
            exitCode: reason.exitCode,
            signal: reason.signal,
            pid: reason.pid,
          }),
        );
      }
      this.close(reason);
    };
    if (this.#endReason) void this.#endReason().then(finish);
    else finish(closedError("the handler's output ended"));
  };

  readonly #onStreamError = (cause: Error): void => {
    if (this.#closed) return;
    if (this.#endReason) {
      this.#onEnd();
      return;
    }
    this.close(new UmdError(UmdErrorCode.CLOSED, `stream error: ${cause.message}`, { cause }));
  };
}
