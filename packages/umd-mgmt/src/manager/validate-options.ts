import { checkPayload, checkReplyInto, type ReplyOptions, UmdError, UmdErrorCode } from '@umd/core';

/** Longest timer Node can arm: a larger delay overflows and fires after about 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * How "no timeout" is spelled, wherever one may be turned off (`requestTimeoutMs` and a
 * request's `timeoutMs`). `startTimeoutMs` and grace periods always have one.
 */
export const NO_TIMEOUT = Number.POSITIVE_INFINITY;

/** The error for a bad argument of `owner` (a manager name or a method). */
export function invalidArgument(owner: string, message: string): UmdError {
  return new UmdError(UmdErrorCode.INVALID_ARGUMENT, `${owner}: ${message}`);
}

function check(condition: boolean, owner: string, message: string): void {
  if (!condition) throw invalidArgument(owner, message);
}

const show = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : String(value);

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
  check(
    Number.isInteger(value) && (value as number) >= min && (value as number) <= MAX_TIMEOUT_MS,
    owner,
    `${what} must be an integer number of ms from ${min} to ${MAX_TIMEOUT_MS}${allowNone ? ' (or Infinity for none)' : ''}, got ${show(value)}`,
  );
  return value as number;
}

/** An integer in `min..max`, or `fallback` for `null`/`undefined`. */
export function checkInteger(
  value: unknown,
  what: string,
  owner: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined || value === null) return fallback;
  check(
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max,
    owner,
    `${what} must be an integer from ${min} to ${max}, got ${show(value)}`,
  );
  return value as number;
}

/** A boolean, or `fallback` for `null`/`undefined`. */
export function checkBoolean(value: unknown, what: string, owner: string, fallback: boolean) {
  if (value === undefined || value === null) return fallback;
  check(typeof value === 'boolean', owner, `${what} must be a boolean, got ${show(value)}`);
  return value as boolean;
}

/**
 * Refuses a key of `bag` that `known` does not list (one whose value is `undefined` passes), so
 * that a misspelt or misplaced option is an error instead of a setting silently not applied.
 * `known` is a record over every key of the options type: the compiler keeps it complete.
 * `elsewhere` says where a key that belongs to another API goes.
 */
export function checkKnownKeys<T extends object>(
  bag: T,
  known: Record<keyof T, true>,
  what: string,
  owner: string,
  elsewhere: Readonly<Record<string, string>> = {},
): void {
  for (const key of Object.keys(bag)) {
    if (Object.hasOwn(known, key) || bag[key as keyof T] === undefined) continue;
    const where = Object.hasOwn(elsewhere, key) ? ` (${elsewhere[key]})` : '';
    throw invalidArgument(owner, `unknown option ${what}${show(key)}${where}`);
  }
}

/** An options bag: a plain object, or `{}` for `null`/`undefined`. */
export function checkObject<T extends object>(value: unknown, what: string, owner: string): T {
  if (value === undefined || value === null) return {} as T;
  check(typeof value === 'object', owner, `${what} must be an object, got ${show(value)}`);
  return value as T;
}

/** An `AbortSignal` (or anything that quacks like one), or `undefined`. */
export function checkSignal(value: unknown, owner: string): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined;
  const signal = value as AbortSignal;
  check(
    typeof value === 'object' &&
      typeof signal.aborted === 'boolean' &&
      typeof signal.addEventListener === 'function' &&
      typeof signal.removeEventListener === 'function',
    owner,
    'signal must be an AbortSignal',
  );
  return signal;
}

/** A request's options after {@link checkRequestOptions}: `timeoutMs` may be {@link NO_TIMEOUT}. */
export interface CheckedRequestOptions {
  signal?: AbortSignal;
  /** See `ManagerRequestOptions.checkReply`. */
  checkReply?: (reply: Uint8Array) => unknown;
  /** Undefined: the manager's default. */
  timeoutMs?: number;
  replyInto?: Uint8Array;
}

const NO_OPTIONS: CheckedRequestOptions = Object.freeze({});

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
  options: (ReplyOptions & { checkReply?: unknown }) | null | undefined,
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
  const given = checkObject<ReplyOptions & { checkReply?: unknown }>(
    options,
    'request options',
    owner,
  );
  const checked: CheckedRequestOptions = {};
  if (given.checkReply !== undefined && given.checkReply !== null) {
    check(typeof given.checkReply === 'function', owner, 'checkReply must be a function');
    checked.checkReply = given.checkReply as (reply: Uint8Array) => unknown;
  }
  const signal = checkSignal(given.signal, owner);
  if (signal !== undefined) checked.signal = signal;
  if (given.timeoutMs !== undefined && given.timeoutMs !== null)
    checked.timeoutMs = checkTimeout(given.timeoutMs, 'timeoutMs', owner, 0, { allowNone: true });
  if (given.replyInto !== undefined && given.replyInto !== null) {
    try {
      checkReplyInto(given.replyInto, payload);
    } catch (error) {
      throw invalidArgument(owner, (error as Error).message);
    }
    checked.replyInto = given.replyInto;
  }
  return checked;
}
