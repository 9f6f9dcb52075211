import type { UmdError } from '@umd/core';
import { abortError } from './abort-reason.js';

/** How a caller's `checkReply` ended: accepted, refused (the handler lied), or cut short by the call's own bounds. */
export type ReplyCheckOutcome =
  | { readonly accepted: true }
  | { readonly refused: unknown }
  | { readonly cutShort: UmdError };

const ACCEPTED: ReplyCheckOutcome = Object.freeze({ accepted: true });

/**
 * Runs `check(reply)` within what is left of its call: the call's signal, and `msLeft` (its
 * timeout, `undefined` for none), end the wait with their error, so that a check that never
 * settles cannot hold the call forever. The check itself is not stopped (it is the caller's
 * code); its late verdict is ignored.
 */
export async function runReplyCheck(
  check: (reply: Uint8Array) => unknown,
  reply: Uint8Array,
  signal: AbortSignal | undefined,
  msLeft: number | undefined,
  timedOut: () => UmdError,
  name: string,
): Promise<ReplyCheckOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<ReplyCheckOutcome>((resolve) => {
    if (msLeft !== undefined)
      timer = setTimeout(() => resolve({ cutShort: timedOut() }), Math.max(0, msLeft));
    if (signal === undefined) return;
    onAbort = () => resolve({ cutShort: abortError(signal, name) });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const verdict = (async (): Promise<ReplyCheckOutcome> => {
    try {
      await check(reply);
      return ACCEPTED;
    } catch (cause) {
      return { refused: cause };
    }
  })();
  try {
    return await Promise.race([verdict, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}
