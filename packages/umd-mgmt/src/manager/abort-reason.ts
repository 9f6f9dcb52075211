import { isTimeoutReason, isUmdError, UmdError, UmdErrorCode } from '@umd/core';

/**
 * True for a channel's error about a call its caller gave up on: aborted, or timed out because
 * the caller's signal fired with a `TimeoutError` (not a deadline of ours, which has no such cause).
 */
export function givenUpByCaller(error: UmdError): boolean {
  return (
    error.code === UmdErrorCode.ABORTED ||
    (error.code === UmdErrorCode.TIMEOUT && isTimeoutReason(error.cause))
  );
}

/**
 * The error of a call whose signal fired: the signal's own `UmdError` reason as is, `UMD_TIMEOUT`
 * (`timedOut: true`) when the reason is a `TimeoutError`, otherwise `UMD_ABORTED`.
 */
export function abortError(signal: AbortSignal, name: string): UmdError {
  const reason: unknown = signal.reason;
  if (isUmdError(reason)) return reason;
  return isTimeoutReason(reason)
    ? new UmdError(UmdErrorCode.TIMEOUT, `${name}: the caller's signal timed out`, {
        cause: reason,
        timedOut: true,
        handlerName: name,
      })
    : new UmdError(UmdErrorCode.ABORTED, `${name}: request aborted`, {
        cause: reason,
        handlerName: name,
      });
}

/**
 * Reports an `UMD_ABORTED` error as `UMD_TIMEOUT` when the caller's signal fired with a
 * `TimeoutError` (the channel only knows that the signal fired). Everything it learned about
 * the handler (exit status, stderr tail) is kept; the handling is that of an abort (framed: a
 * CANCEL frame, the handler is kept).
 */
export function timeoutIfSignalTimedOut(
  error: UmdError,
  signal: AbortSignal | undefined,
): UmdError {
  if (error.code !== UmdErrorCode.ABORTED || !signal?.aborted || !isTimeoutReason(signal.reason))
    return error;
  return new UmdError(
    UmdErrorCode.TIMEOUT,
    error.message.replace(/aborted/, 'timed out (signal)'),
    {
      cause: error,
      requestId: error.requestId,
      exitCode: error.exitCode,
      signal: error.signal,
      stderrTail: error.stderrTail,
      timedOut: true,
      handlerName: error.handlerName,
      pid: error.pid,
    },
  );
}
