import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { childEndReason, killUntrusted } from './child-exit.js';
import { closedError } from './close-reason.js';
import { OrderedWriter } from './ordered-writer.js';
import type { ReplySinkControl } from './direct-read-socket.js';
import { payloadTransferredCloseReason, transferredWhileWrittenError } from './request-options.js';
import { listenToStreams } from './stream-listener.js';

/** How a channel made by `fromChild()` treats its child. */
export interface ChildPolicy {
  /** The code of the close reason when the child process emits `error` (it failed to spawn, or a signal could not be sent). */
  processErrorCode(): UmdErrorCode;
  /** Whether a close with this reason leaves the child's stream untrusted: it is then killed (SIGKILL). */
  untrusted(reason: UmdError | undefined): boolean;
}

/**
 * The transport half shared by the framed and raw channels: listens to the handler's output
 * (direct reads where possible, `data` events otherwise), writes to its input in order, explains
 * the end of input (with the child's exit status for a channel bound to a child), and closes
 * exactly once. A subclass adds only its framing: where reads go, what bytes mean, and what is
 * pending when the channel closes.
 *
 * Events: `close` (reason: {@link UmdError} | undefined), exactly once: on `close()`, on a
 * protocol violation, at end of input.
 */
export abstract class ChannelTransport extends EventEmitter {
  /** Writes to the handler in call order, honouring backpressure. */
  protected readonly writer: OrderedWriter;
  /** Set when reads land straight in buffers the framing picks (a reply socket, or a child stdout pipe). */
  protected readonly directReads: ReplySinkControl | undefined;
  readonly #output: Writable;
  /** Stops listening to the input (it keeps draining). */
  readonly #stopListening: () => void;
  #closed = false;
  /** Closed by {@link ChannelTransport.closeUntrusted}: a bound child is killed whatever the reason. */
  #untrusted = false;
  #closeReason: UmdError | undefined;
  /** Set by {@link ChannelTransport.bindChild}: how to explain the end of input. */
  #endReason: ((what: string) => Promise<UmdError>) | undefined;
  #ending = false;

  /**
   * @param input - bytes from the handler (its stdout, or the host end of a reply socket).
   * @param output - bytes to the handler (its stdin).
   */
  protected constructor(input: Readable, output: Writable) {
    super();
    this.#output = output;
    this.writer = new OrderedWriter(output);
    // The hooks run from later callbacks only (reads, events, microtasks), never from this
    // constructor: a subclass's own fields exist by then.
    const listening = listenToStreams(input, output, {
      sink: {
        target: () => this.readTarget(),
        consume: (count, into) => {
          if (!this.#closed) this.onRead(count, into);
        },
      },
      onData: (chunk) => {
        if (!this.#closed) this.onData(chunk);
      },
      onEnd: () => this.#onEnd(),
      onError: (cause) => this.#onStreamError(cause),
    });
    this.#stopListening = listening.stop;
    this.directReads = listening.directReads;
  }

  /** True once the channel is closed; every later call rejects. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Request bytes given to the channel and not yet written to the handler (waiting for it to
   * read, in the channel or in the stream's buffer). An aborted request's bytes leave at once
   * unless the stream already has part of them.
   */
  get bufferedBytes(): number {
    return this.writer.bufferedBytes;
  }

  /** Why the channel closed (`undefined` while open or after a plain `close()`). */
  get closeReason(): UmdError | undefined {
    return this.#closeReason;
  }

  /**
   * Closes the channel: everything pending rejects at once with `reason`'s code and details
   * (default `UMD_CLOSED`), the output is ended so the handler sees end of file, and `close` is
   * emitted. Idempotent.
   */
  close(reason?: UmdError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    this.#stopListening();
    this.writer.close();
    this.failAll(reason ?? closedError());
    if (!this.#output.destroyed && !this.#output.writableEnded) this.#output.end();
    this.emit('close', reason);
  }

  /**
   * Closes the channel (as {@link ChannelTransport.close}) because the handler may hold bytes
   * the host did not mean to send it: a child bound by `fromChild()` is killed (SIGKILL).
   */
  protected closeUntrusted(reason: UmdError): void {
    if (this.#closed) return;
    this.#untrusted = true;
    this.close(reason);
  }

  /**
   * A call's payload changed while the stream was writing it (the writer's `onChanged(true)`):
   * the handler may have read other host memory in its place. The call fails with
   * `UMD_INVALID_ARGUMENT` and the channel closes untrusted (`UMD_CLOSED` for every other call).
   *
   * @param what - names the payload in both errors (`"the payload of request 7"`).
   * @param rejectCall - rejects the call with the error it is given, unless it already settled.
   */
  protected cutOff(what: string, rejectCall: (error: UmdError) => void, requestId?: number): void {
    rejectCall(transferredWhileWrittenError(what, requestId));
    this.closeUntrusted(payloadTransferredCloseReason(what));
  }

  /**
   * Ties the channel to the child whose stdio it talks over: the end of input is explained by the
   * child's exit status, a process `error` closes the channel, and a close the policy calls
   * untrusted kills the child.
   */
  protected bindChild(child: ChildProcess, policy: ChildPolicy): void {
    this.#endReason = (what) => childEndReason(child, what);
    child.on('error', (cause: Error) => {
      this.close(
        new UmdError(policy.processErrorCode(), `handler process error: ${cause.message}`, {
          cause,
          pid: child.pid,
        }),
      );
    });
    this.once('close', (reason: UmdError | undefined) => {
      if (this.#untrusted || policy.untrusted(reason)) killUntrusted(child);
    });
  }

  /** Direct reads: the buffer the next read lands in. */
  protected abstract readTarget(): Uint8Array;
  /** Direct reads: `count` bytes were read into `into`, the last target handed out (never called once closed). */
  protected abstract onRead(count: number, into: Uint8Array): void;
  /** Bytes from an input read through `data` events (never called once closed). */
  protected abstract onData(chunk: Uint8Array): void;
  /**
   * The input ended: note what was under way now, and return what to do once the reason (the
   * child's exit status, which may take a moment) is known. That function ends by closing.
   */
  protected abstract inputEnded(): (reason: UmdError) => void;
  /** Rejects everything pending with `failure` (from {@link ChannelTransport.close}). */
  protected abstract failAll(failure: UmdError): void;

  /** `what` happened, for a handler that does not exit at once (its output ended by default). */
  #onEnd(what = 'the handler closed its stdout'): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    const finish = this.inputEnded();
    const done = (reason: UmdError) => {
      if (!this.#closed) finish(reason);
    };
    if (this.#endReason) void this.#endReason(what).then(done);
    else done(closedError("the handler's output ended"));
  }

  #onStreamError(cause: Error): void {
    if (this.#closed) return;
    // EPIPE and friends: the handler is gone, or closed its stdin (a failed write); its exit
    // status (if any) explains more.
    if (this.#endReason) {
      const write = (cause as NodeJS.ErrnoException).syscall === 'write';
      this.#onEnd(write ? `the handler closed its stdin (${cause.message})` : undefined);
      return;
    }
    this.close(new UmdError(UmdErrorCode.CLOSED, `stream error: ${cause.message}`, { cause }));
  }
}
