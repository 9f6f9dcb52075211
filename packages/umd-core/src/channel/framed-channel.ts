import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { FrameType, frameTypeName } from '../codec/constants.js';
import { notStartedError } from '../codec/not-started.js';
import type { Frame } from '../codec/frame.js';
import type { Hello } from '../codec/hello.js';
import { protocolError } from '../codec/protocol-error.js';
import { type UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { ChannelTransport } from './channel-transport.js';
import { type FramedChannelOptions, framedLimits } from './channel-options.js';
import { type ChildChannelOptions, childStreams } from './child-exit.js';
import { closedError, errorForPending, withMessageSuffix } from './close-reason.js';
import { frameChunks, sendsUncopied } from './frame-chunks.js';
import { FrameReader } from './frame-reader.js';
import { HelloHandshake } from './hello-handshake.js';
import { type PendingRequest, RequestBook, pendingRequest } from './request-book.js';
import {
  type ReplyOptions,
  type RequestOptions,
  abortedError,
  armRequest,
  checkPayload,
  checkReplyInto,
  checkRequestOptions,
  detachedPayloadError,
  isDetached,
  timeoutError,
} from './request-options.js';
import { rejectRequest, settleAnswer, tooLargeForHandler } from './settle-request.js';

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
  readonly #reader: FrameReader;
  readonly #maxInFlight: number;
  readonly #book = new RequestBook();
  readonly #handshake = new HelloHandshake();

  /**
   * @param input - bytes from the handler (its stdout, or the host end of a {@link ReplySocket}).
   * @param output - bytes to the handler (its stdin).
   */
  constructor(input: Readable, output: Writable, options: FramedChannelOptions = {}) {
    const { maxInFlight, maxPayload } = framedLimits(options);
    super(input, output);
    this.#maxInFlight = maxInFlight;
    this.#reader = new FrameReader(maxPayload, (id) => this.#book.inFlightWith(id));
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
    const { stdin, stdout } = childStreams(child, options);
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
    return this.#book.inFlight;
  }

  /**
   * Requests cancelled after they were written (abort, timeout) that the handler has not
   * answered yet: work it may still be doing, or a sign it is stuck. Not counted in
   * {@link FramedChannel.inFlight}.
   */
  get cancelledUnanswered(): number {
    return this.#book.cancelledUnanswered;
  }

  /** Requests waiting for a free in-flight slot (or for HELLO). */
  get queued(): number {
    return this.#book.queued;
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
   * One transferred (or shrunk) before its turn to be written fails its call alone with
   * `UMD_INVALID_ARGUMENT` (nothing of its frame is written; the channel goes on). Once the
   * stream has it, a large payload the pipe has not taken whole is written from its memory by
   * libuv: a transfer then is seen when that write ends, too late to keep the bytes that took
   * the payload's place (whatever the new owner put there) from the handler. That call fails
   * with `UMD_INVALID_ARGUMENT` and the channel closes (`UMD_CLOSED` for every other pending
   * call; a child bound by `fromChild()` is killed). Never transfer a payload while its call is
   * pending, nor soon after it was aborted or timed out: the stream may still be writing it.
   * With `options.replyInto` a reply that fits is read into that buffer (see {@link ReplyOptions});
   * otherwise a reply of 256 KiB or more is in memory of the native helper where it loads, which
   * `postMessage` / `structuredClone` copy but cannot move (a transfer list with its buffer throws
   * on Node 22 and later).
   */
  request(payload: Uint8Array, options: ReplyOptions = {}): Promise<Uint8Array> {
    try {
      checkPayload(payload);
      checkRequestOptions(options);
      checkReplyInto(options.replyInto, payload);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closed) return Promise.reject(errorForPending(this.closeReason ?? closedError()));
    if (options.signal?.aborted) return Promise.reject(abortedError(options.signal, 'the request'));
    return new Promise<Uint8Array>((resolve, reject) => {
      const entry = pendingRequest(payload, options.replyInto, resolve, reject);
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
      this.#book.enqueue(entry);
      this.#pump();
    });
  }

  /** Close: every pending and queued request (and HELLO waiter) rejects with the failure plus its `requestId`. */
  protected failAll(failure: UmdError): void {
    this.#reader.release(undefined, this.directReads);
    for (const entry of this.#book.takeAll())
      rejectRequest(entry, errorForPending(failure, entry.id || undefined));
    this.#handshake.fail(failure);
  }

  #pump(): void {
    const hello = this.#handshake.hello;
    if (hello === undefined || this.closed) return;
    for (;;) {
      const entry = this.#book.nextToSend(this.#maxInFlight);
      if (entry === undefined) return;
      if (isDetached(entry.payload)) {
        // Transferred while it waited: its caller's mistake, refused before any byte of it is written.
        rejectRequest(entry, detachedPayloadError());
        continue;
      }
      if (entry.payload.byteLength > hello.maxPayload) {
        rejectRequest(entry, tooLargeForHandler(entry, hello));
        continue;
      }
      const id = this.#book.markSent(entry);
      // A payload copied behind its header is the channel's own memory, which no caller can
      // change: only one sent uncopied is the writer's to check.
      entry.ticket = this.writer.write(
        frameChunks(FrameType.Request, id, entry.payload),
        sendsUncopied(entry.payload)
          ? (written) => this.#payloadChanged(entry, written)
          : undefined,
      );
    }
  }

  /**
   * The writer found `entry`'s payload transferred (or shrunk): before its frame was written
   * (`written` false: refused alone), or while the stream wrote it (the channel is cut off).
   */
  #payloadChanged(entry: PendingRequest, written: boolean): void {
    if (!written) return this.#refuseChanged(entry);
    const id = entry.id;
    this.cutOff(`the payload of request ${id}`, (error) => this.#rejectSent(entry, error), id);
  }

  /**
   * The writer dropped `entry`'s frame unsent: its payload was transferred (or shrunk) after the
   * call, before its turn to be written. The handler never saw it; the channel goes on.
   */
  #refuseChanged(entry: PendingRequest): void {
    if (entry.state === 'done') return;
    entry.ticket = undefined;
    this.#rejectSent(entry, detachedPayloadError());
    this.#pump();
  }

  /** Takes a sent request out of the books and rejects it, unless it already settled. */
  #rejectSent(entry: PendingRequest, error: UmdError): void {
    if (entry.state === 'done') return;
    this.#book.withdraw(entry, false);
    rejectRequest(entry, error);
  }

  /** Abort or timeout of one request: reject it, and CANCEL it if the handler already has it. */
  #giveUp(entry: PendingRequest, error: UmdError): void {
    if (entry.state === 'done') return;
    const wasSent = entry.state === 'sent';
    entry.state = 'done';
    if (wasSent) {
      // Its reply may be arriving in the caller's buffer, which is the caller's again from now on.
      this.#reader.release(entry, this.directReads);
      // Still waiting in the writer: the handler never sees it, so its bytes go now and no
      // CANCEL follows. Otherwise the frame is written out whole and cancelled.
      const unsent = this.writer.withdraw(entry.ticket!);
      this.#book.withdraw(entry, !unsent);
      if (!unsent) this.writer.write(frameChunks(FrameType.Cancel, entry.id, new Uint8Array(0)));
    }
    entry.ticket = undefined;
    entry.reject(error);
    if (wasSent) this.#pump();
  }

  /**
   * Takes back what the handler has not started of the requests in flight after the first `keep`
   * (in send order): one still in the writer rejects at once with `UMD_NOT_STARTED`; one written
   * gets a CANCEL, and rejects so if the handler answers "cancelled before it started" (any other
   * answer settles it as usual). For requests beyond what the handler runs at once: a running one
   * would see its `context.signal` abort. Returns how many were asked back.
   */
  reclaimUnstarted(keep: number): number {
    const asked = this.#book.sentAfter(keep);
    for (const entry of asked) {
      if (this.writer.withdraw(entry.ticket!)) {
        this.#book.withdraw(entry, false);
        rejectRequest(entry, notStartedError(entry.id, 'never written'));
      } else {
        entry.reclaiming = true;
        this.writer.write(frameChunks(FrameType.Cancel, entry.id, new Uint8Array(0)));
      }
    }
    if (asked.length > 0) this.#pump();
    return asked.length;
  }

  /** Direct reads: where the next read goes (the payload being filled, when enough of it is missing). */
  protected readTarget(): Uint8Array {
    return this.#reader.target(this.directReads!, this.closed);
  }

  /** Direct reads: `count` bytes were read into the last target. */
  protected onRead(count: number, into: Uint8Array): void {
    this.#onFrames(this.#reader.read(count, into));
  }

  protected onData(chunk: Uint8Array): void {
    this.#onFrames(this.#reader.push(chunk));
  }

  #onFrames(frames: Frame[] | UmdError): void {
    if (!Array.isArray(frames)) return this.close(frames);
    for (const frame of frames) {
      if (this.closed) return;
      this.#onFrame(frame);
    }
  }

  #onFrame(frame: Frame): void {
    const hello = this.#handshake.hello;
    if (hello === undefined) return this.#onHello(frame);
    const { type, id } = frame;
    if (type !== FrameType.Reply && type !== FrameType.Error) {
      return this.#violation(`unexpected ${frameTypeName(type)} frame (id ${id}) from the handler`);
    }
    const entry = this.#book.takeAnswered(id);
    if (entry === 'cancelled') return; // a late answer to a cancelled request: dropped
    if (entry === undefined)
      return this.#violation(`${frameTypeName(type)} for id ${id}, which is not in flight`, id);
    const violation = settleAnswer(entry, frame, hello.name);
    if (violation !== undefined) return this.close(violation);
    this.#pump();
  }

  /** The first frame: the handler's HELLO, or a violation. */
  #onHello(frame: Frame): void {
    let hello: Hello;
    try {
      hello = this.#handshake.receive(frame);
    } catch (error) {
      return this.close(error as UmdError);
    }
    this.emit('hello', hello);
    this.#pump();
  }

  #violation(message: string, requestId?: number): void {
    this.close(protocolError(message, requestId === undefined ? {} : { requestId }));
  }

  protected inputEnded(): (reason: UmdError) => void {
    const inside = this.#reader.bufferedBytes;
    if (inside === 0) return (reason) => this.close(reason);
    const suffix = ` in the middle of a frame (${inside} bytes of it received)`;
    return (reason) => this.close(withMessageSuffix(reason, suffix));
  }
}
