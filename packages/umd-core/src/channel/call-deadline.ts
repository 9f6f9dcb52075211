/**
 * One signal for a call made of several steps (a connection and a handshake, a request and the
 * read of the caller's stream): the caller's signal and a timeout counted from the call's start.
 */
import { causeMessage } from '../errors/cause-message.js';
import { invalidArgument } from '../shared/check-options.js';

/** The bound of a whole call: one signal for its steps, and `clear()` once the call has ended. */
export interface CallDeadline {
  /**
   * Fires with the caller's reason, or a `TimeoutError` once `timeoutMs` has passed; undefined
   * when neither bounds the call.
   */
  readonly signal: AbortSignal | undefined;
  /** Stops the timer and lets go of the caller's signal (safe to call more than once). */
  clear(): void;
}

/**
 * The signal that bounds a whole call: `options.signal` (its reason passed on) and
 * `options.timeoutMs` counted from now (a `TimeoutError`, which `abortedError` reports as
 * `UMD_TIMEOUT`). A `timeoutMs` that is not an integer from 1 to 2**31 - 1 is left to the call's
 * own checks, which refuse it: then the caller's signal alone.
 *
 * The timer is referenced until `clear()`: a call in progress keeps the host alive until it
 * settles, as a request waiting for its handler does (`AbortSignal.timeout()`'s timer does not,
 * and a host that awaited a call on a stalled source ended with the call unsettled). The caller's
 * signal is followed by one listener that `clear()` removes, not `AbortSignal.any()`, whose
 * composite Node keeps while it has a listener.
 * @throws UmdError `UMD_INVALID_ARGUMENT` if the caller's signal-like object throws when listened to.
 */
export function callDeadline(options: {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}): CallDeadline {
  const { signal, timeoutMs } = options;
  const valid = Number.isInteger(timeoutMs) && timeoutMs! >= 1 && timeoutMs! <= 2 ** 31 - 1;
  if (!valid) return { signal, clear: () => {} };
  const bound = new AbortController();
  const follow = () => bound.abort(signal!.reason);
  if (signal?.aborted) follow();
  else {
    try {
      signal?.addEventListener('abort', follow, { once: true });
    } catch (error) {
      throw invalidArgument(
        undefined,
        `signal.addEventListener threw: ${causeMessage(error)}`,
        error,
      );
    }
  }
  const timer = setTimeout(() => {
    bound.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs);
  return {
    signal: bound.signal,
    clear: () => {
      clearTimeout(timer);
      try {
        signal?.removeEventListener('abort', follow);
      } catch {
        // A caller's signal-like object that throws here must not stop a call from settling.
      }
    },
  };
}
