import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { causeMessage } from '../errors/cause-message.js';
import { invalidArgument } from '../shared/check-options.js';

/** Per-call options of `request()`, `exchange()` and `waitForHello()`. */
export interface RequestOptions {
  /**
   * Aborting it rejects the call with `UMD_ABORTED`, or `UMD_TIMEOUT` when the reason is a
   * `TimeoutError` (`AbortSignal.timeout()`), and cancels the request if it was sent.
   */
  signal?: AbortSignal;
  /** Milliseconds before the call rejects with `UMD_TIMEOUT` (`timedOut: true`). Counted from the call, queueing included. */
  timeoutMs?: number;
}

/** Per-call options of `request()` and `exchange()`: those of every call, plus where the reply goes. */
export interface ReplyOptions extends RequestOptions {
  /**
   * Memory the reply is read into, instead of a fresh buffer (the kernel's `umd_send_recv()` writes
   * into the caller's `out` buffer the same way). The call then resolves with
   * `replyInto.subarray(0, replyLength)`: no allocation, and with direct reads (a `fromChild()`
   * stdio pipe, or a reply socket) no copy either; for large replies that saves the page faults
   * of fresh memory, on a VM much of a round trip's cost. Framed mode: a reply that does not fit goes into a fresh buffer as
   * usual (compare `reply.buffer` to tell). Raw mode: `replyInto` must hold `replyLength` bytes.
   * The library writes into it only while the call is pending, never after the call settles
   * (abort and timeout included); do not read or reuse it before then, and do not let it overlap
   * the request payload. Do not transfer its `ArrayBuffer` while the call is pending: the call
   * then rejects with `UMD_INVALID_ARGUMENT` (the channel goes on), and a read armed with that
   * memory before the transfer may still land in it (see the package README).
   */
  replyInto?: Uint8Array;
}

/**
 * Validates a request payload: a `Uint8Array` whose memory is still there. A view of an
 * `ArrayBuffer` that was transferred (detached) has no bytes left to send: refused, it fails its
 * own call only, instead of breaking the channel's writer in the middle of a frame.
 *
 * @throws UmdError `UMD_INVALID_ARGUMENT`.
 */
export function checkPayload(payload: unknown, what = 'payload'): asserts payload is Uint8Array {
  if (!(payload instanceof Uint8Array)) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `${what} must be a Uint8Array`);
  }
  if (isDetached(payload)) throw detachedPayloadError(what);
}

/** The error of a payload whose buffer was detached (see {@link checkPayload}). */
export function detachedPayloadError(what = 'payload'): UmdError {
  return new UmdError(
    UmdErrorCode.INVALID_ARGUMENT,
    `${what} is a view of a detached (transferred) ArrayBuffer; nothing was sent`,
  );
}

/**
 * The error of a call whose payload was transferred (or shrunk) while the stream was still
 * writing it: the kernel had taken part of it, and the rest went from memory the caller no
 * longer owned. The handler may have read other host memory, so it was cut off (see
 * {@link payloadTransferredCloseReason}).
 */
export function transferredWhileWrittenError(what: string, requestId?: number): UmdError {
  return new UmdError(
    UmdErrorCode.INVALID_ARGUMENT,
    `${what} was transferred (detached) or shrunk while it was being written; the handler may have read other memory in its place and was cut off`,
    { requestId },
  );
}

/** Why a channel closes after {@link transferredWhileWrittenError}: what the other callers get. */
export function payloadTransferredCloseReason(what: string): UmdError {
  return new UmdError(
    UmdErrorCode.CLOSED,
    `the channel was closed: ${what} was transferred while it was being written, so the handler may hold bytes the host did not mean to send`,
  );
}

/**
 * The error of a call whose `replyInto` was detached (or shrunk) while its reply was read into it:
 * the caller's misuse, not the handler's fault. `what` names the call (`"request 7"`).
 */
export function replyIntoDetachedError(what: string, requestId?: number): UmdError {
  return new UmdError(
    UmdErrorCode.INVALID_ARGUMENT,
    `replyInto was transferred (detached) while the reply of ${what} was read into it; that reply is lost`,
    { requestId },
  );
}

/** Whether `view`'s buffer was detached (its views then read as empty). */
export function isDetached(view: Uint8Array): boolean {
  if (view.byteLength !== 0) return false;
  const buffer = view.buffer as ArrayBufferLike & { readonly detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  try {
    new Uint8Array(buffer, 0, 0); // Node 20 has no `detached`: a view of a detached buffer throws
    return false;
  } catch {
    return true;
  }
}

/** Validates `replyInto`: a Uint8Array that does not share memory with the request payload. */
export function checkReplyInto(replyInto: Uint8Array | undefined, payload: Uint8Array): void {
  if (replyInto === undefined) return;
  if (!(replyInto instanceof Uint8Array)) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'replyInto must be a Uint8Array');
  }
  const overlaps =
    replyInto.buffer === payload.buffer &&
    replyInto.byteOffset < payload.byteOffset + payload.byteLength &&
    payload.byteOffset < replyInto.byteOffset + replyInto.byteLength;
  if (overlaps && replyInto.byteLength > 0 && payload.byteLength > 0) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      'replyInto must not overlap the request payload (it may still be being written)',
    );
  }
}

/** Validates `timeoutMs` up front so a bad value is a typed error, not a silent no-timeout. */
export function checkRequestOptions(options: RequestOptions): void {
  const { timeoutMs, signal } = options;
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs))
  ) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `timeoutMs must be a finite number >= 0, got ${String(timeoutMs)}`,
    );
  }
  if (
    signal !== undefined &&
    (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')
  ) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'signal must be an AbortSignal');
  }
}

/** True for the reason of `AbortSignal.timeout()` and of any signal aborted with a `TimeoutError`. */
export function isTimeoutReason(reason: unknown): boolean {
  return (
    typeof reason === 'object' &&
    reason !== null &&
    (reason as { name?: unknown }).name === 'TimeoutError'
  );
}

/**
 * The error for a call whose signal fired: `UMD_TIMEOUT` (`timedOut`, the reason as `cause`)
 * when the reason is a `TimeoutError`, as `AbortSignal.timeout()` gives, otherwise `UMD_ABORTED`.
 * Either way the call was given up by its caller: the channel handles both as an abort.
 * `what` names the call (`"request 7"`); `handlerName` goes into the error's details.
 */
export function abortedError(
  signal: AbortSignal,
  what: string,
  requestId?: number,
  handlerName?: string,
): UmdError {
  if (isTimeoutReason(signal.reason)) {
    return new UmdError(UmdErrorCode.TIMEOUT, `${what} timed out (its signal fired)`, {
      cause: signal.reason,
      timedOut: true,
      requestId,
      handlerName,
    });
  }
  return new UmdError(UmdErrorCode.ABORTED, `${what} was aborted`, {
    cause: signal.reason,
    requestId,
    handlerName,
  });
}

/** The error for a call that ran out of time. */
export function timeoutError(timeoutMs: number, what: string, requestId?: number): UmdError {
  return new UmdError(UmdErrorCode.TIMEOUT, `${what} timed out after ${timeoutMs} ms`, {
    timedOut: true,
    requestId,
  });
}

/**
 * Arms the signal and the timer of one call. `onAbort` / `onTimeout` run at most once, and never
 * after the returned disarm function was called.
 */
export function armRequest(
  options: RequestOptions,
  onAbort: (signal: AbortSignal) => void,
  onTimeout: (timeoutMs: number) => void,
): () => void {
  const { signal, timeoutMs } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armed = true;
  const abortListener = () => {
    if (!armed) return;
    disarm();
    onAbort(signal!);
  };
  const disarm = () => {
    armed = false;
    if (timer !== undefined) clearTimeout(timer);
    try {
      signal?.removeEventListener('abort', abortListener);
    } catch {
      // A caller's signal-like object that throws here must not stop a call from settling.
    }
  };
  if (signal !== undefined) {
    try {
      signal.addEventListener('abort', abortListener, { once: true });
    } catch (error) {
      throw invalidArgument(
        undefined,
        `signal.addEventListener threw: ${causeMessage(error)}`,
        error,
      );
    }
  }
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      if (!armed) return;
      disarm();
      onTimeout(timeoutMs);
    }, timeoutMs);
  }
  return disarm;
}
