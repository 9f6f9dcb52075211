import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** How long to poll, in ms (default 5,000). */
  timeoutMs?: number;
  /** Stops the polling: the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Polls `check` every 10 ms until it holds or `timeoutMs` (default 5 s) passed, and returns
 * whether it held. For what happens off the test's path and has no event to wait for: a process
 * dying, a file being removed. On a loaded machine that takes its time, so the bound is meant
 * to be reached only when it never happens. `options` is `{ timeoutMs, signal }`, or the
 * timeout alone.
 */
export async function pollUntil(
  check: () => boolean,
  options: number | PollOptions = {},
): Promise<boolean> {
  const { timeoutMs = 5000, signal } =
    typeof options === 'number' ? { timeoutMs: options } : options;
  signal?.throwIfAborted();
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= end) return false;
    try {
      await sleep(10, undefined, { signal });
    } catch (error) {
      // The sleep's AbortError wraps the reason; the caller gets the reason, as before the call.
      throw signal?.aborted ? signal.reason : error;
    }
  }
  return true;
}
