import { abortedError, isTimeoutReason, isUmdError, type UmdError, UmdErrorCode } from '@umd/core';

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
 * The error of a call whose signal fired: the signal's own `UmdError` reason as is (the
 * manager aborts its own waits with one), otherwise core's {@link abortedError}.
 */
export function abortError(signal: AbortSignal, name: string): UmdError {
  const reason: unknown = signal.reason;
  return isUmdError(reason)
    ? reason
    : abortedError(signal, `${name}: the request`, undefined, name);
}
