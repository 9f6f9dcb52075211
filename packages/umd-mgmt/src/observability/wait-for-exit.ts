import {
  abortedError,
  checkInteger,
  checkObject,
  checkSignal,
  readingOptions,
  UmdError,
  UmdErrorCode,
} from '@umd/core';
import type { UmdManager } from '../manager/umd-manager.js';

/** Options of {@link waitForExit}. */
export interface WaitForExitOptions {
  /** How long to wait for the event, in ms (10,000). */
  timeoutMs?: number;
  /** Ends the wait with `UMD_ABORTED` (`UMD_TIMEOUT` for a timeout's signal). */
  signal?: AbortSignal;
}

const OWNER = 'waitForExit';

/** The options read once: a number is `timeoutMs` (the older form). */
function readOptions(pid: number, given: number | WaitForExitOptions | undefined) {
  return readingOptions(OWNER, 'its options', () => {
    checkInteger(pid, 'pid', OWNER, undefined, 1, 2 ** 31 - 1);
    const bag = typeof given === 'number' ? { timeoutMs: given } : given;
    const { timeoutMs, signal } = checkObject<WaitForExitOptions>(bag, 'options', OWNER);
    return {
      timeoutMs: checkInteger(timeoutMs, 'timeoutMs', OWNER, 10_000, 1, 2 ** 31 - 1),
      signal: checkSignal(signal, OWNER),
    };
  });
}

/**
 * Resolves once `manager` has reported (`exit` event) that handler `pid` is gone. Call it
 * before killing the handler. It holds a timer while it waits: an idle handler does not keep
 * the host's event loop alive, so a host that only waited for the event could end first.
 * `options` is `{ timeoutMs, signal }`, or the timeout alone.
 *
 * @throws UmdError `UMD_TIMEOUT` when no such event comes within `timeoutMs`; `UMD_ABORTED`
 * when `signal` fires (also before the call); `UMD_INVALID_ARGUMENT` for a `pid` or option it
 * cannot use.
 */
export async function waitForExit(
  manager: UmdManager,
  pid: number,
  options: number | WaitForExitOptions = {},
): Promise<void> {
  const { timeoutMs, signal } = readOptions(pid, options);
  const what = `waiting for the exit of handler ${pid}`;
  if (signal?.aborted) throw abortedError(signal, what);
  return new Promise((resolve, reject) => {
    const settle = (error?: UmdError): void => {
      clearTimeout(timer);
      manager.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onExit = (event: { pid: number }): void => {
      if (event.pid === pid) settle();
    };
    const onAbort = (): void => settle(abortedError(signal!, what));
    const timer = setTimeout(() => {
      settle(
        new UmdError(
          UmdErrorCode.TIMEOUT,
          `the manager did not report the exit of handler ${pid} within ${timeoutMs} ms`,
          { pid, timedOut: true },
        ),
      );
    }, timeoutMs);
    manager.on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
