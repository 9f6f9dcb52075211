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

/** `promise`, or its signal's abort, whichever comes first; leaves no listener on the signal. */
export async function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) return promise;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** Rejects with the signal's reason when it aborts; never resolves. */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
