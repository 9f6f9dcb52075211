import { types } from 'node:util';
import { causeMessage } from '../errors/cause-message.js';
import { isUmdError, UmdError, UmdErrorCode } from '../errors/umd-error.js';

/**
 * The one family of option checks of the umd packages: each returns the checked value (or the
 * fallback for `undefined`/`null`) or throws `UMD_INVALID_ARGUMENT` that names the option
 * (`what`) and, when given, whose it is (`owner`: a manager's name, a function).
 */

/** The error for a bad argument of `owner` (prefixed to the message when given). */
export function invalidArgument(owner: string | undefined, message: string, cause?: unknown) {
  const text = owner === undefined ? message : `${owner}: ${message}`;
  return new UmdError(UmdErrorCode.INVALID_ARGUMENT, text, cause === undefined ? {} : { cause });
}

function check(condition: boolean, owner: string | undefined, message: string): void {
  if (!condition) throw invalidArgument(owner, message);
}

/**
 * A value as an error message shows it: a string quoted, so `'false'` does not read as
 * `false`. Never throws, for an object without a prototype or a proxy whose traps throw too.
 */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  // String([]) is '' and String([1, 2]) reads as a number list: say what it is.
  const kind = typeof value === 'object' && value !== null ? notABag(value) : undefined;
  if (kind !== undefined) return kind;
  return causeMessage(value);
}

/**
 * What an object that is no options bag is (`undefined` for one that may be): its keys are not
 * options, so taking it as a bag would silently set nothing (a Map of options, a call's
 * promise not awaited). Reads internal slots only, never a property: a proxy's traps do not run.
 */
function notABag(value: object): string | undefined {
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value) || types.isAnyArrayBuffer(value)) return 'binary data';
  if (types.isMap(value) || types.isWeakMap(value)) return 'a Map';
  if (types.isSet(value) || types.isWeakSet(value)) return 'a Set';
  if (types.isPromise(value)) return 'a promise';
  if (types.isDate(value)) return 'a Date';
  if (types.isRegExp(value)) return 'a RegExp';
  if (types.isBoxedPrimitive(value)) return 'a boxed primitive';
  return undefined;
}

/**
 * An integer in `min..max`, or `fallback` for `null`/`undefined` (a `fallback` of `undefined`:
 * the option is required).
 */
export function checkInteger(
  value: unknown,
  what: string,
  owner: string | undefined,
  fallback: number | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  check(
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max,
    owner,
    `${what} must be an integer from ${min} to ${max}, got ${showValue(value)}`,
  );
  return value as number;
}

/**
 * A boolean, or `fallback` for `null`/`undefined`: a string such as `'false'`, or a 0, must not
 * pass for the opposite of what it says.
 */
export function checkBoolean(
  value: unknown,
  what: string,
  owner: string | undefined,
  fallback: boolean,
): boolean {
  if (value === undefined || value === null) return fallback;
  check(typeof value === 'boolean', owner, `${what} must be a boolean, got ${showValue(value)}`);
  return value as boolean;
}

/**
 * An options bag: an object, or `{}` for `null`/`undefined`. An array is refused: its entries
 * are no option, and taken as a bag it would silently set none.
 */
export function checkObject<T extends object>(
  value: unknown,
  what: string,
  owner: string | undefined,
): T {
  if (value === undefined || value === null) return {} as T;
  check(
    typeof value === 'object' && notABag(value) === undefined,
    owner,
    `${what} must be an object, got ${showValue(value)}`,
  );
  return value as T;
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
  owner: string | undefined,
  elsewhere: Readonly<Record<string, string>> = {},
): void {
  for (const key of Object.keys(bag)) {
    if (Object.hasOwn(known, key) || bag[key as keyof T] === undefined) continue;
    const where = Object.hasOwn(elsewhere, key) ? ` (${elsewhere[key]})` : '';
    throw invalidArgument(owner, `unknown option ${what}${showValue(key)}${where}`);
  }
}

/** An `AbortSignal` (or anything that quacks like one), or `undefined`. */
export function checkSignal(value: unknown, owner: string | undefined): AbortSignal | undefined {
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

/**
 * The errors of a package with its own error family (`@umd/pgp`'s `PgpError`), for
 * {@link readingOptions}: the default is `UMD_INVALID_ARGUMENT` and `isUmdError`.
 */
export interface OptionsErrors {
  /** The error for a throw while reading: `message` says what threw, `cause` is the throw. */
  invalid(message: string, cause: unknown): Error;
  /** True for an error `read` threw on purpose (its own check), which passes unchanged. */
  isOwn(error: unknown): boolean;
}

/**
 * Runs `read` (which reads and checks a caller's options) and turns anything else it throws (a
 * getter or a proxy trap of the caller's that throws) into `UMD_INVALID_ARGUMENT` with that as
 * its cause (or `errors.invalid`'s error), so a bad options object fails its own call with a
 * typed error.
 */
export function readingOptions<T>(
  owner: string | undefined,
  what: string,
  read: () => T,
  errors: OptionsErrors = {
    invalid: (message, cause) => invalidArgument(owner, message, cause),
    isOwn: isUmdError,
  },
): T {
  try {
    return read();
  } catch (error) {
    if (errors.isOwn(error)) throw error;
    throw errors.invalid(`reading ${what} threw: ${causeMessage(error)}`, error);
  }
}
