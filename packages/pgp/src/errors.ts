/** The error class of `@umd/pgp`: every failure it reports has one of these codes. */

/** Every code a {@link PgpError} can carry. */
export const PgpErrorCode = {
  /** The input could not be parsed (the handler said so): not OpenPGP, truncated, garbage. */
  MALFORMED: 'PGP_MALFORMED',
  /** The handler's reply broke the contract (a range, a field, or bytes not found in the input). */
  HANDLER_LIED: 'PGP_HANDLER_LIED',
  /** An algorithm, version or format this driver does not verify. */
  UNSUPPORTED: 'PGP_UNSUPPORTED',
  /** A caller's argument is unusable (wrong type, unreadable file). */
  INVALID_ARGUMENT: 'PGP_INVALID_ARGUMENT',
  /** The handler failed (crashed, timed out, aborted): `cause` holds the `UmdError`. */
  HANDLER_FAILED: 'PGP_HANDLER_FAILED',
} as const;

/** A code carried by {@link PgpError}. */
export type PgpErrorCode = (typeof PgpErrorCode)[keyof typeof PgpErrorCode];

const BRAND = Symbol.for('umd.pgp.error');

/** The error of `@umd/pgp`; `code` says what happened, `cause` what was underneath. */
export class PgpError extends Error {
  /** What kind of failure this is. */
  readonly code: PgpErrorCode;

  constructor(code: PgpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PgpError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any {@link PgpError} (also of another copy of this package), of `code` if given. */
export function isPgpError(value: unknown, code?: PgpErrorCode): value is PgpError {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (value as PgpError).code === code;
}
