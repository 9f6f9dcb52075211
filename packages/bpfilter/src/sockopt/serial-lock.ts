import { abortedError, type UmdError } from '@umd/core';

/**
 * One-at-a-time section, the kernel's `bpfilter_ops.lock`: a table change and the snapshot
 * taken after it must not interleave with another caller's change.
 */
export class SerialLock {
  #tail: Promise<void> = Promise.resolve();

  /**
   * Runs `task` after every task queued before it has settled; resolves or rejects with it.
   * An abort of `signal` while the task still waits for its turn rejects at once with
   * `UMD_ABORTED` and the task never runs; once it runs, it runs to completion (the task
   * passes the signal on to what it can still cancel).
   */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let state: 'waiting' | 'running' | 'cancelled' = 'waiting';
    const result = this.#tail.then(() => {
      if (state === 'cancelled') throw aborted(signal);
      state = 'running';
      return task();
    });
    // The next task waits for this one whatever its outcome.
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    if (!signal) return result;
    if (signal.aborted) state = 'cancelled';
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (state !== 'waiting') return;
        state = 'cancelled';
        reject(aborted(signal));
      };
      if (state === 'cancelled') reject(aborted(signal));
      else signal.addEventListener('abort', onAbort, { once: true });
      result.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}

/** `UMD_ABORTED`, or `UMD_TIMEOUT` for a timeout's signal (`AbortSignal.timeout()`), as every call. */
function aborted(signal: AbortSignal | undefined): UmdError {
  return abortedError(signal!, 'bpfilter: a call waiting for its turn');
}
