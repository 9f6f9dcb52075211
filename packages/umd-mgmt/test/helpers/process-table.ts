import { isAlive } from '@umd/core/testing';

export { descendantsOf, groupMembers, isAlive, processTable } from '@umd/core/testing';

/** Polls until `pid` is gone (or a zombie), up to `timeoutMs`; returns whether it went. */
export async function waitForDeath(pid: number, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !isAlive(pid);
}
