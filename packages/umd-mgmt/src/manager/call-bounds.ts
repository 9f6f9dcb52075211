import type { UmdError } from '@umd/core';
import { abortError } from './abort-reason.js';

/** How a step of a call that runs the caller's code ended: its value, its throw, or the call's own end. */
export type BoundedOutcome<T> =
  | { readonly value: T }
  | { readonly failed: unknown }
  | { readonly cutShort: UmdError };

/**
 * Runs `work` (the caller's code: a reply check, an async request validator) within what is
 * left of its call: the call's signal, and `msLeft` (its timeout, `undefined` for none), end
 * the wait with their error, so that work that never settles cannot hold the call forever.
 * The work itself is not stopped; its late outcome is ignored.
 */
export async function withinCallBounds<T>(
  work: () => T | Promise<T>,
  signal: AbortSignal | undefined,
  msLeft: number | undefined,
  timedOut: () => UmdError,
  name: string,
): Promise<BoundedOutcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<BoundedOutcome<T>>((resolve) => {
    if (msLeft !== undefined)
      timer = setTimeout(() => resolve({ cutShort: timedOut() }), Math.max(0, msLeft));
    if (signal === undefined) return;
    onAbort = () => resolve({ cutShort: abortError(signal, name) });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const done = (async (): Promise<BoundedOutcome<T>> => {
    try {
      return { value: await work() };
    } catch (cause) {
      return { failed: cause };
    }
  })();
  try {
    return await Promise.race([done, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}
