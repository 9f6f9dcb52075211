import { UmdError, UmdErrorCode } from '@umd/core';
import type { UmdManager } from '../manager/umd-manager.js';

/**
 * Resolves once `manager` has reported (`exit` event) that handler `pid` is gone. Call it
 * before killing the handler. It holds a timer while it waits: an idle handler does not keep
 * the host's event loop alive, so a host that only waited for the event could end first.
 *
 * @throws UmdError `UMD_TIMEOUT` when no such event comes within `timeoutMs`.
 */
export function waitForExit(manager: UmdManager, pid: number, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const onExit = (event: { pid: number }): void => {
      if (event.pid !== pid) return;
      clearTimeout(timer);
      manager.off('exit', onExit);
      resolve();
    };
    const timer = setTimeout(() => {
      manager.off('exit', onExit);
      reject(
        new UmdError(
          UmdErrorCode.TIMEOUT,
          `the manager did not report the exit of handler ${pid} within ${timeoutMs} ms`,
          { pid, timedOut: true },
        ),
      );
    }, timeoutMs);
    manager.on('exit', onExit);
  });
}
