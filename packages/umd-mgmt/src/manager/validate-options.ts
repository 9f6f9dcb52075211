import {
  causeMessage,
  checkKnownKeys,
  checkObject,
  checkPayload,
  checkReplyInto,
  checkSignal,
  invalidArgument,
  readingOptions,
  showValue,
} from '@umd/core';
import type { ManagerRequestOptions } from './request-options.js';

/** Longest timer Node can arm: a larger delay overflows and fires after about 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * How "no timeout" is spelled, wherever one may be turned off (`requestTimeoutMs` and a
 * request's `timeoutMs`). `startTimeoutMs` and grace periods always have one.
 */
export const NO_TIMEOUT = Number.POSITIVE_INFINITY;

/**
 * A timer length: `null`/`undefined` give `fallback`; otherwise an integer number of ms from
 * `min` (1, or 0 for grace periods) to {@link MAX_TIMEOUT_MS}, or {@link NO_TIMEOUT} where
 * `allowNone`. Anything else (a string, NaN, a fraction, a negative number, 2^31) is refused.
 */
export function checkTimeout(
  value: unknown,
  what: string,
  owner: string,
  fallback: number,
  { allowNone = false, min = 1 }: { allowNone?: boolean; min?: 0 | 1 } = {},
): number {
  if (value === undefined || value === null) return fallback;
  if (allowNone && value === NO_TIMEOUT) return NO_TIMEOUT;
  if (!(Number.isInteger(value) && (value as number) >= min && (value as number) <= MAX_TIMEOUT_MS))
    throw invalidArgument(
      owner,
      `${what} must be an integer number of ms from ${min} to ${MAX_TIMEOUT_MS}${allowNone ? ' (or Infinity for none)' : ''}, got ${showValue(value)}`,
    );
  return value as number;
}

/** A request's options after {@link checkRequestOptions}: `timeoutMs` may be {@link NO_TIMEOUT}. */
export interface CheckedRequestOptions {
  signal?: AbortSignal;
  /** See `ManagerRequestOptions.checkReply`. */
  checkReply?: (reply: Uint8Array) => unknown;
  /** Undefined: the manager's default. */
  timeoutMs?: number;
  replyInto?: Uint8Array;
  /** Set when `signal` follows a look-alike of the caller's: call it once the call settles. */
  release?: () => void;
}

const NO_OPTIONS: CheckedRequestOptions = Object.freeze({});

/** Node's own AbortSignal, none of its members replaced on the object itself. */
function isGenuine(signal: AbortSignal): boolean {
  return signal instanceof AbortSignal && Object.getOwnPropertyNames(signal).length === 0;
}

/**
 * A signal of ours that follows a look-alike of the caller's (another library's, or one whose
 * members were replaced): the request path listens to its signal in many places, and a look-alike
 * whose methods throw would break the manager's or pool's books there instead of failing its
 * own call. What the look-alike throws here is that call's `UMD_INVALID_ARGUMENT`.
 */
function follow(signal: AbortSignal, owner: string) {
  const controller = new AbortController();
  const onAbort = () => {
    let reason: unknown;
    try {
      reason = signal.reason;
    } catch (error) {
      reason = error;
    }
    controller.abort(reason);
  };
  try {
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  } catch (error) {
    throw invalidArgument(owner, `the signal threw: ${causeMessage(error)}`, error);
  }
  const release = () => {
    try {
      signal.removeEventListener('abort', onAbort);
    } catch {
      // Nothing more to do for a look-alike that throws here too.
    }
  };
  return { signal: controller.signal, release };
}

/**
 * `options` with another `timeoutMs`, each field written out. Never `{ ...options, timeoutMs }` on
 * a request path: on Node 20 (V8 11.3) a spread followed by more keys, once optimized, gives every
 * object it makes a hidden class of its own (a new map per request: runtime calls, megamorphic
 * property reads, and maps for the garbage collector to promote and sweep).
 */
export function withTimeout(
  options: CheckedRequestOptions,
  timeoutMs: number,
): CheckedRequestOptions {
  const { signal, checkReply, replyInto } = options;
  return { signal, checkReply, timeoutMs, replyInto };
}

/**
 * Validates the payload and options of `request()`/`requestRaw()` once, before anything is
 * queued or started, so a bad value is refused the same way whatever the manager's state.
 */
export function checkRequestOptions(
  options: ManagerRequestOptions | null | undefined,
  payload: Uint8Array,
  owner: string,
): CheckedRequestOptions {
  try {
    checkPayload(payload);
  } catch (error) {
    throw invalidArgument(owner, (error as Error).message);
  }
  // The common call passes none: no objects made per request.
  if (options === undefined || options === null) return NO_OPTIONS;
  return readingOptions(owner, 'request options', () => checkGiven(options, payload, owner));
}

const REQUEST_KEYS: Record<keyof ManagerRequestOptions, true> = {
  signal: true,
  timeoutMs: true,
  replyInto: true,
  checkReply: true,
};

function checkGiven(options: unknown, payload: Uint8Array, owner: string): CheckedRequestOptions {
  const given = checkObject<ManagerRequestOptions>(options, 'request options', owner);
  checkKnownKeys(given, REQUEST_KEYS, 'of a request ', owner);
  const checked: CheckedRequestOptions = {};
  const checkReply: unknown = given.checkReply;
  if (checkReply !== undefined && checkReply !== null) {
    if (typeof checkReply !== 'function')
      throw invalidArgument(owner, 'checkReply must be a function');
    checked.checkReply = checkReply as (reply: Uint8Array) => unknown;
  }
  const signal = checkSignal(given.signal, owner);
  if (signal !== undefined && isGenuine(signal)) checked.signal = signal;
  else if (signal !== undefined) {
    const followed = follow(signal, owner);
    checked.signal = followed.signal;
    checked.release = followed.release;
  }
  const timeoutMs = given.timeoutMs;
  if (timeoutMs !== undefined && timeoutMs !== null)
    checked.timeoutMs = checkTimeout(timeoutMs, 'timeoutMs', owner, 0, { allowNone: true });
  const replyInto = given.replyInto;
  if (replyInto !== undefined && replyInto !== null) {
    try {
      checkReplyInto(replyInto, payload);
    } catch (error) {
      throw invalidArgument(owner, (error as Error).message);
    }
    checked.replyInto = replyInto;
  }
  return checked;
}
