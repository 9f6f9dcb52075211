import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every 10 ms until it holds or `timeoutMs` (default 5 s) passed, and returns
 * whether it held. For what happens off the test's path and has no event to wait for: a process
 * dying, a file being removed. On a loaded machine that takes its time, so the bound is meant
 * to be reached only when it never happens.
 */
export async function pollUntil(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= end) return false;
    await sleep(10);
  }
  return true;
}
