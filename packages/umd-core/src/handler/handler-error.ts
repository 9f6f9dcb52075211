import { UmdErrorCode } from '../errors/umd-error.js';

const BRAND = Symbol.for('umd.handlerError');

/**
 * Throw this from a request handler to answer with an ERROR frame carrying `errno` (negative errno
 * style, e.g. -22 for EINVAL) and `message`. Any other thrown value becomes ERROR -5 (EIO).
 */
export class HandlerError extends Error {
  /**
   * The code of the error the host's caller gets for this answer: a `UmdError` with code
   * `UMD_HANDLER_ERROR` and this error's `errno` as its `handlerCode`.
   */
  readonly code = UmdErrorCode.HANDLER_ERROR;
  /** The code sent to the host (becomes `handlerCode` of its `UMD_HANDLER_ERROR`). */
  readonly errno: number;

  constructor(errno: number, message: string) {
    super(message);
    if (!Number.isInteger(errno) || errno < -0x8000_0000 || errno > 0x7fff_ffff) {
      throw new RangeError(`HandlerError errno must be an i32, got ${errno}`);
    }
    this.name = 'HandlerError';
    this.errno = errno;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for a {@link HandlerError}, also one from another copy of this package. */
export function isHandlerError(value: unknown): value is HandlerError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}

/** Error code for failures that are not a {@link HandlerError}: -EIO. */
export const EIO = -5;
/** Error code answered to a request cancelled before its handler started: -ECANCELED. */
export const ECANCELED = -125;
