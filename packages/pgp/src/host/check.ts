/**
 * Range checks for the handler's JSON: each checker takes an unknown value and returns it
 * typed, or throws {@link PgpError} `PGP_HANDLER_LIED`. Nothing the handler sends is used
 * before it went through one of these.
 */
import { PgpError } from '../errors.js';

/** A checker: the value typed, or a throw naming the path of the bad field. */
export type Check<T> = (value: unknown, path: string) => T;

/** Throws the error for a reply that breaks the contract. */
export function lie(path: string, problem: string): never {
  throw new PgpError('PGP_HANDLER_LIED', `the handler's reply is invalid at ${path}: ${problem}`);
}

/** An integer in `[min, max]`. */
export const int =
  (min: number, max: number): Check<number> =>
  (value, path) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      lie(path, `expected an integer in [${min}, ${max}]`);
    }
    return value;
  };

/** One of the given literal values. */
export const literal =
  <T extends string | number>(...values: T[]): Check<T> =>
  (value, path) => {
    if (!values.includes(value as T)) lie(path, `expected one of ${values.join(', ')}`);
    return value as T;
  };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Canonical base64 of at most `max` bytes, decoded. */
export const bytes =
  (max: number): Check<Buffer> =>
  (value, path) => {
    if (typeof value !== 'string' || value.length > Math.ceil(max / 3) * 4 || !BASE64.test(value)) {
      lie(path, `expected base64 of at most ${max} bytes`);
    }
    return Buffer.from(value, 'base64');
  };

/** A string of at most `max` characters. */
export const str =
  (max: number): Check<string> =>
  (value, path) => {
    if (typeof value !== 'string' || value.length > max) lie(path, `expected a string (≤ ${max})`);
    return value;
  };

/** An array of at most `max` elements, each checked. */
export const array =
  <T>(item: Check<T>, max: number): Check<T[]> =>
  (value, path) => {
    if (!Array.isArray(value) || value.length > max) lie(path, `expected an array (≤ ${max})`);
    return value.map((element, i) => item(element, `${path}[${i}]`));
  };

/** An optional field: `undefined` stays `undefined`. */
export const optional =
  <T>(item: Check<T>): Check<T | undefined> =>
  (value, path) =>
    value === undefined ? undefined : item(value, path);

type Shape = Record<string, Check<unknown>>;
type Of<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

/** An object with exactly these fields (no others), each checked. */
export const object =
  <S extends Shape>(shape: S): Check<Of<S>> =>
  (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      lie(path, 'expected an object');
    }
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key)) lie(`${path}.${key}`, 'unexpected field');
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      out[key] = check((value as Record<string, unknown>)[key], `${path}.${key}`);
    }
    return out as Of<S>;
  };

/** Whichever of the object shapes has the value's single key. */
export const variant =
  <T>(shapes: Record<string, Check<T>>): Check<T> =>
  (value, path) => {
    const keys = typeof value === 'object' && value !== null ? Object.keys(value) : [];
    const check = keys.length === 1 ? shapes[keys[0] as string] : undefined;
    if (!check) lie(path, `expected one of ${Object.keys(shapes).join(', ')}`);
    return check(value, path);
  };

/** A value that refers to itself (a signature embeds signatures). */
export const lazy =
  <T>(get: () => Check<T>): Check<T> =>
  (value, path) =>
    get()(value, path);
