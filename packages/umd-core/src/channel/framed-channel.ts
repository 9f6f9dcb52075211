import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import {
  DEFAULT_MAX_PAYLOAD,
  FRAME_HEADER_SIZE,
  FrameType,
  MAX_PAYLOAD_LIMIT,
  frameTypeName,
} from '../codec/constants.js';
import { decodeErrorPayload } from '../codec/error-payload.js';
import { type Frame, encodeFrameHeader, writeFrameHeader } from '../codec/frame.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import type { Hello } from '../codec/hello.js';
import { protocolError } from '../codec/protocol-error.js';
import { UmdError, UmdErrorCode, isUmdError } from '../errors/umd-error.js';
import { allocatePayload } from '../shared/payload-buffer.js';
import { ChannelTransport } from './channel-transport.js';
import { type ChildChannelOptions, childStreams } from './child-exit.js';
import { closedError, errorForPending } from './close-reason.js';
import { HelloHandshake } from './hello-handshake.js';
import type { WriteTicket } from './ordered-writer.js';
import { readScratch } from './read-scratch.js';
import {
  type ReplyOptions,
  type RequestOptions,
  abortedError,
  armRequest,
  checkReplyInto,
  checkRequestOptions,
  timeoutError,
} from './request-options.js';

/** Options of {@link FramedChannel}. */
export interface FramedChannelOptions {
  /** Requests sent and not yet answered, at most (default 1, the kernel's serialization). Later ones wait in order. */
  maxInFlight?: number;
  /** Largest reply payload accepted; a longer frame header is a protocol violation (default 64 MiB). */
  maxPayload?: number;
}

/** Payloads up to this size are copied behind their header and sent as one buffer; larger ones go out as a writev. */
const COALESCE_LIMIT = 16 * 1024;
/** A reply payload with at least this much still to come is read straight into its buffer (direct reads only: a reply socket, or a child stdout pipe). */
const DIRECT_READ_MIN = 16 * 1024;
/** Cancelled ids remembered so a late answer is dropped, not taken for a protocol violation. */
const MAX_REMEMBERED_CANCELS = 65_536;

interface PendingRequest {
  readonly payload: Uint8Array;
  /** The caller's buffer for the reply, if it gave one. */
  readonly replyInto: Uint8Array | undefined;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (error: UmdError) => void;
  disarm: () => void;
  /** Its frame in the writer, while it may still be withdrawn unsent. */
  ticket: WriteTicket | undefined;
  id: number;
  state: 'queued' | 'sent' | 'done';
}

function checkLimit(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * The host side of framed mode over any pair of byte streams (usually a handler's stdout and
 * stdin): waits for HELLO, sends REQUEST frames with fresh ids, matches REPLY/ERROR frames to
 * their callers, cancels on abort or timeout, and fails every pending request at once when the
 * stream ends or breaks the wire format.
 *
 * Events: `close` (reason: {@link UmdError} | undefined), exactly once: on {@link FramedChannel.close},
 * on a protocol violation (`UMD_PROTOCOL`), on end of input (`UMD_CLOSED`; `UMD_HANDLER_EXITED` with
 * the exit status for a channel made by {@link FramedChannel.fromChild}).
 */
export class FramedChannel extends ChannelTransport {
  readonly #decoder: FrameDecoder;
  readonly #maxInFlight: number;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #cancelled = new Set<number>();
  #queue: PendingRequest[] = [];
  #queueHead = 0;
  #nextId = 1;
  readonly #handshake = new HelloHandshake();
  /** The last direct-read target handed out was the payload itself. */
  #readingDirect = false;
  /** The request whose own `replyInto` buffer the decoder is filling right now. */
  #fillingCallerBuffer: PendingRequest | undefined;
  /** The next direct read is armed with a caller's `replyInto` memory. */
  #armedCallerMemory = false;

  /**
   * @param input - bytes from the handler (its stdout, or the host end of a {@link ReplySocket}).
   * @param output - bytes to the handler (its stdin).
   */
  constructor(input: Readable, output: Writable, options: FramedChannelOptions = {}) {
    const maxInFlight = checkLimit('maxInFlight', options.maxInFlight ?? 1, 1, 0xffff_fffe);
    const maxPayload = checkLimit(
      'maxPayload',
      options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      0,
      MAX_PAYLOAD_LIMIT,
    );
    super(input, output);
    this.#maxInFlight = maxInFlight;
    this.#decoder = new FrameDecoder({ maxPayload, allocate: this.#allocateReply });
  }

  /**
   * A channel over a child process's stdout (input) and stdin (output). When the child's stdout
   * ends, pending requests fail with `UMD_HANDLER_EXITED` carrying its exit code or signal. When
   * the child breaks the wire format, it is killed (SIGKILL): its stream can no longer be trusted.
   */
  static fromChild(
    child: ChildProcess,
    options: FramedChannelOptions & ChildChannelOptions = {},
  ): FramedChannel {
    const { stdin, stdout } = childStreams(child, options.replySocket);
    const channel = new FramedChannel(stdout, stdin, options);
    channel.bindChild(child, {
      processErrorCode: () =>
        channel.hello ? UmdErrorCode.HANDLER_EXITED : UmdErrorCode.START_FAILED,
      untrusted: (reason) => reason?.code === UmdErrorCode.PROTOCOL,
    });
    return channel;
  }

  /** The handler's HELLO, once received. */
  get hello(): Hello | undefined {
    return this.#handshake.hello;
  }

  /** Requests sent and not yet answered (cancelled ones excluded). */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Requests waiting for a free in-flight slot (or for HELLO). */
  get queued(): number {
    let count = 0;
    for (let i = this.#queueHead; i < this.#queue.length; i++)
      if (this.#queue[i]!.state === 'queued') count++;
    return count;
  }

  /**
   * Resolves with the handler's HELLO (at once if already received). Rejects with `UMD_PROTOCOL`
   * if the first frame is anything else, with the close reason if the channel closes first, and
   * with `UMD_TIMEOUT` / `UMD_ABORTED` per `options` (the channel stays open then).
   */
  waitForHello(options: RequestOptions = {}): Promise<Hello> {
    return this.#handshake.wait(options);
  }

  /**
   * Sends `payload` as a REQUEST and resolves with the REPLY payload. Waits for HELLO and for a
   * free in-flight slot first, in call order. Rejects with `UMD_TOO_LARGE` (nothing sent) when the
   * payload exceeds the handler's HELLO limit, `UMD_HANDLER_ERROR` (with `handlerCode`) on an ERROR
   * frame, `UMD_ABORTED` / `UMD_TIMEOUT` per `options` (a CANCEL frame goes out if the request was
   * sent; its late answer is dropped), and the close reason when the channel closes.
   * Payloads over 16 KiB are written without a copy: leave `payload` unchanged until the call settles.
   * With `options.replyInto` a reply that fits is read into that buffer (see {@link ReplyOptions}).
   */
  request(payload: Uint8Array, options: ReplyOptions = {}): Promise<Uint8Array> {
    if (!(payload instanceof Uint8Array)) {
      return Promise.reject(
        new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'payload must be a Uint8Array'),
      );
    }
    try {
      checkRequestOptions(options);
      checkReplyInto(options.replyInto, payload);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closed) return Promise.reject(errorForPending(this.closeReason ?? closedError()));
    if (options.signal?.aborted) return Promise.reject(abortedError(options.signal, 'the request'));
    return new Promise<Uint8Array>((resolve, reject) => {
      const entry: PendingRequest = {
        payload,
        replyInto: options.replyInto,
        resolve,
        reject,
        disarm: () => {},
        ticket: undefined,
        id: 0,
        state: 'queued',
      };
      if (options.signal !== undefined || options.timeoutMs !== undefined) {
        entry.disarm = armRequest(
          options,
          (signal) =>
            this.#giveUp(
              entry,
              abortedError(signal, `request ${entry.id || '(queued)'}`, entry.id || undefined),
            ),
          (timeoutMs) =>
            this.#giveUp(
              entry,
              timeoutError(timeoutMs, `request ${entry.id || '(queued)'}`, entry.id || undefined),
            ),
        );
      }
      this.#queue.push(entry);
      this.#pump();
    });
  }

  /** Close: every pending and queued request (and HELLO waiter) rejects with the failure plus its `requestId`. */
  protected failAll(failure: UmdError): void {
    this.#disarmCallerMemory();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#cancelled.clear();
    const queued = this.#queue.slice(this.#queueHead).filter((entry) => entry.state === 'queued');
    this.#queue = [];
    this.#queueHead = 0;
    for (const entry of [...pending, ...queued]) {
      entry.state = 'done';
      entry.disarm();
      entry.reject(errorForPending(failure, entry.id || undefined));
    }
    this.#handshake.fail(failure);
  }

  #pump(): void {
    const hello = this.#handshake.hello;
    if (hello === undefined || this.closed) return;
    const queue = this.#queue;
    while (this.#pending.size < this.#maxInFlight && this.#queueHead < queue.length) {
      const entry = queue[this.#queueHead++]!;
      if (entry.state !== 'queued') continue;
      if (entry.payload.byteLength > hello.maxPayload) {
        entry.state = 'done';
        entry.disarm();
        entry.reject(
          new UmdError(
            UmdErrorCode.TOO_LARGE,
            `request payload of ${entry.payload.byteLength} bytes exceeds the ${hello.maxPayload} bytes the handler "${hello.name}" accepts; nothing was sent`,
            { handlerName: hello.name },
          ),
        );
        continue;
      }
      entry.id = this.#allocateId();
      entry.state = 'sent';
      this.#pending.set(entry.id, entry);
      entry.ticket = this.#send(FrameType.Request, entry.id, entry.payload);
    }
    if (this.#queueHead === queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > queue.length) {
      this.#queue = queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id >= 0xffff_ffff ? 1 : id + 1;
      if (!this.#pending.has(id) && !this.#cancelled.has(id)) return id;
    }
  }

  #send(type: FrameType, id: number, payload: Uint8Array): WriteTicket {
    const length = payload.byteLength;
    if (length <= COALESCE_LIMIT) {
      const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + length);
      writeFrameHeader(frame, 0, type, id, length);
      frame.set(payload, FRAME_HEADER_SIZE);
      return this.writer.write([frame]);
    }
    return this.writer.write([encodeFrameHeader(type, id, length), payload]);
  }

  /** Abort or timeout of one request: reject it, and CANCEL it if the handler already has it. */
  #giveUp(entry: PendingRequest, error: UmdError): void {
    if (entry.state === 'done') return;
    const wasSent = entry.state === 'sent';
    entry.state = 'done';
    if (wasSent) {
      // Its reply may be arriving in the caller's buffer, which is the caller's again from now on.
      if (this.#fillingCallerBuffer === entry) {
        this.#decoder.detachPayload();
        this.#fillingCallerBuffer = undefined;
        this.#disarmCallerMemory();
      }
      this.#pending.delete(entry.id);
      // Still waiting in the writer: the handler never sees it, so its bytes go now and no
      // CANCEL follows. Otherwise the frame is written out whole and cancelled.
      if (!this.writer.withdraw(entry.ticket!)) {
        this.#rememberCancelled(entry.id);
        this.#send(FrameType.Cancel, entry.id, new Uint8Array(0));
      }
    }
    entry.ticket = undefined;
    entry.reject(error);
    if (wasSent) this.#pump();
  }

  #rememberCancelled(id: number): void {
    this.#cancelled.add(id);
    if (this.#cancelled.size > MAX_REMEMBERED_CANCELS) {
      const oldest = this.#cancelled.values().next().value;
      if (oldest !== undefined) this.#cancelled.delete(oldest);
    }
  }

  /** The decoder's payload buffers: a REPLY that fits goes into its requester's `replyInto`. */
  readonly #allocateReply = (length: number, type: FrameType, id: number): Uint8Array => {
    if (type === FrameType.Reply) {
      const entry = this.#pending.get(id);
      const into = entry?.replyInto;
      if (into !== undefined && into.byteLength >= length) {
        this.#fillingCallerBuffer = entry;
        return into.subarray(0, length);
      }
    }
    return allocatePayload(length);
  };

  /** A direct read armed with caller memory gets another target now (the call it was for has settled). */
  #disarmCallerMemory(): void {
    if (this.#armedCallerMemory) this.directReads?.rearm();
  }

  /**
   * Direct reads: where the next read goes, the payload being filled when enough of it is missing.
   * A caller's own memory is a target only where the socket can be re-armed when the call settles.
   */
  protected readTarget(): Uint8Array {
    const payload = this.closed ? undefined : this.#decoder.payloadTarget();
    const callerMemory = this.#fillingCallerBuffer !== undefined;
    this.#readingDirect =
      payload !== undefined &&
      payload.byteLength >= DIRECT_READ_MIN &&
      (!callerMemory || this.directReads!.canRearm);
    this.#armedCallerMemory = this.#readingDirect && callerMemory;
    if (this.#readingDirect) return payload!;
    return readScratch;
  }

  /** Direct reads: `count` bytes were read into the last target. */
  protected onRead(count: number, into: Uint8Array): void {
    if (!this.#readingDirect) return this.onData(into.subarray(0, count));
    const frame = this.#decoder.commitPayload(count);
    if (frame !== undefined) this.#onFrame(frame);
  }

  protected onData(chunk: Uint8Array): void {
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.close(isUmdError(error) ? error : protocolError(String(error), { cause: error }));
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.#onFrame(frame);
    }
  }

  #onFrame(frame: Frame): void {
    const { type, id, payload } = frame;
    this.#fillingCallerBuffer = undefined;
    const hello = this.#handshake.hello;
    if (hello === undefined) {
      if (type !== FrameType.Hello)
        return this.#violation(
          `expected HELLO as the first frame, got ${frameTypeName(type)} (id ${id})`,
        );
      let received: Hello;
      try {
        received = this.#handshake.receive(payload);
      } catch (error) {
        return this.close(error as UmdError);
      }
      this.emit('hello', received);
      this.#pump();
      return;
    }
    if (type !== FrameType.Reply && type !== FrameType.Error) {
      return this.#violation(`unexpected ${frameTypeName(type)} frame (id ${id}) from the handler`);
    }
    const entry = this.#pending.get(id);
    if (entry === undefined) {
      if (this.#cancelled.delete(id)) return; // a late answer to a cancelled request: dropped
      return this.#violation(`${frameTypeName(type)} for id ${id}, which is not in flight`, id);
    }
    this.#pending.delete(id);
    entry.state = 'done';
    entry.disarm();
    if (type === FrameType.Reply) {
      // An empty reply is never allocated; it is still a view of the caller's buffer when one was given.
      entry.resolve(
        payload.byteLength === 0 && entry.replyInto ? entry.replyInto.subarray(0, 0) : payload,
      );
    } else {
      let decoded: { code: number; message: string };
      try {
        decoded = decodeErrorPayload(payload);
      } catch (error) {
        entry.reject(errorForPending(error as UmdError, id));
        return this.close(error as UmdError);
      }
      const name = hello.name;
      entry.reject(
        new UmdError(
          UmdErrorCode.HANDLER_ERROR,
          `handler "${name}" failed request ${id} with code ${decoded.code}: ${decoded.message}`,
          {
            handlerCode: decoded.code,
            requestId: id,
            handlerName: name,
          },
        ),
      );
    }
    this.#pump();
  }

  #violation(message: string, requestId?: number): void {
    this.close(protocolError(message, requestId === undefined ? {} : { requestId }));
  }

  protected inputEnded(): (reason: UmdError) => void {
    const inside = this.#decoder.bufferedBytes;
    if (inside === 0) return (reason) => this.close(reason);
    const suffix = ` in the middle of a frame (${inside} bytes of it received)`;
    return (reason) =>
      this.close(
        new UmdError(reason.code, `${reason.message}${suffix}`, {
          ...reasonDetails(reason),
          cause: reason.cause,
        }),
      );
  }
}

function reasonDetails(reason: UmdError) {
  return {
    exitCode: reason.exitCode,
    signal: reason.signal,
    pid: reason.pid,
    stderrTail: reason.stderrTail,
  };
}
