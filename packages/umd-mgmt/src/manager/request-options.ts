import type { ReplyOptions } from '@umd/core';

/** Per-call options of `UmdManager.request()` / `requestRaw()` (and of a pool's). */
export interface ManagerRequestOptions extends ReplyOptions {
  /**
   * Checks the reply before the call resolves (typed contracts use it to decode and validate).
   * When it throws (or its promise rejects), the reply broke the driver's contract: the call
   * rejects with `UMD_INVALID_REPLY` and, since a handler that lies is not trusted again, the
   * handler is killed (fail-stop) and the next request starts a fresh one. The request's slot is
   * held until it returns.
   */
  checkReply?: (reply: Uint8Array) => unknown;
}
