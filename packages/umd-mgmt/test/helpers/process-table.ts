import { isAlive, pollUntil } from '@umd/core/testing';

export {
  descendantsOf,
  groupMembers,
  isAlive,
  pollUntil,
  processTable,
} from '@umd/core/testing';

/** Polls until `pid` is gone (or a zombie), up to `timeoutMs`; returns whether it went. */
export function waitForDeath(pid: number, timeoutMs = 5000): Promise<boolean> {
  return pollUntil(() => !isAlive(pid), timeoutMs);
}
