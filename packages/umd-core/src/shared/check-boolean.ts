import { UmdError, UmdErrorCode } from '../errors/umd-error.js';

/**
 * Returns `value` if it is a boolean, `fallback` for `undefined`/`null`; otherwise throws
 * `UMD_INVALID_ARGUMENT` naming the option (`name`): a string such as `'false'`, or a 0, must
 * not pass for the opposite of what it says.
 */
export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `${name} must be a boolean, got ${shown}`);
  }
  return value;
}
