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
