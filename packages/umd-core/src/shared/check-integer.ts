import { UmdError, UmdErrorCode } from '../errors/umd-error.js';

/**
 * Returns `value` if it is an integer from `min` to `max`; otherwise throws `UMD_INVALID_ARGUMENT`
 * naming the option (`name`) and the accepted range.
 */
export function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}
