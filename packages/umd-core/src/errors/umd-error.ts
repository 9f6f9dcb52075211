/**
 * The single error family of umd. Every failure the library reports is a {@link UmdError}
 * with a string {@link UmdErrorCode}; see the docs' error page for what to do about each.
 */

/** Every code a {@link UmdError} can carry. */
export const UmdErrorCode = {
  /** The byte stream broke the wire format (bad magic, unknown type, length over the limit, unknown id). The handler is not trusted again. */
  PROTOCOL: 'UMD_PROTOCOL',
  /** A request (or a start) did not finish within its `timeoutMs`. */
  TIMEOUT: 'UMD_TIMEOUT',
  /** The caller's `AbortSignal` fired before the reply came. */
  ABORTED: 'UMD_ABORTED',
  /** The handler answered the request with an ERROR frame; `handlerCode` holds its code. */
  HANDLER_ERROR: 'UMD_HANDLER_ERROR',
  /** The handler process exited or was killed while the request was pending. */
  HANDLER_EXITED: 'UMD_HANDLER_EXITED',
  /** The channel was closed (by `close()`/`dispose()` or end of stream) while the request was pending. */
  CLOSED: 'UMD_CLOSED',
  /** Raw mode: the stream ended before the full reply length arrived. */
  SHORT_READ: 'UMD_SHORT_READ',
  /** The payload is larger than the peer accepts; nothing was sent. */
  TOO_LARGE: 'UMD_TOO_LARGE',
  /** The handler could not be started (spawn failed, exited before HELLO, postStart failed). */
  START_FAILED: 'UMD_START_FAILED',
  /** The blob's SHA-256 does not match the digest recorded at build time; nothing was run. */
  BLOB_INTEGRITY: 'UMD_BLOB_INTEGRITY',
  /** The loader module could not be imported or does not export a valid loader. */
  LOADER: 'UMD_LOADER',
  /** The handler was started too many times within the restart window. */
  CRASH_LOOP: 'UMD_CRASH_LOOP',
  /** Too many requests are already waiting (`maxQueue`). */
  QUEUE_FULL: 'UMD_QUEUE_FULL',
  /** The manager was stopped (or is stopping) while the request was pending or queued. */
  STOPPED: 'UMD_STOPPED',
  /** A reply did not decode or failed validation against the driver's contract; the handler that sent it was killed. */
  INVALID_REPLY: 'UMD_INVALID_REPLY',
  /** A caller passed an argument the API cannot accept (wrong type, out of range). */
  INVALID_ARGUMENT: 'UMD_INVALID_ARGUMENT',
  /**
   * A contract's codec or validator refused a value (a `ContractViolation`, thrown by the
   * contract's own methods). Through `contractClient` it is the `cause` of a
   * `UMD_INVALID_ARGUMENT` (the request) or a `UMD_INVALID_REPLY` (the reply).
   */
  CONTRACT_VIOLATION: 'UMD_CONTRACT_VIOLATION',
  /**
   * The request was taken back before its handler started it (unsent, or the handler answered
   * its CANCEL with "cancelled before it started"): it never ran and may be sent again. A pool
   * does so on its own; a caller sees it only from a channel's `reclaimUnstarted`.
   */
  NOT_STARTED: 'UMD_NOT_STARTED',
} as const;

/** A code carried by {@link UmdError}. */
export type UmdErrorCode = (typeof UmdErrorCode)[keyof typeof UmdErrorCode];

/** Fields that describe what happened, beside the code. All optional. */
export interface UmdErrorDetails {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Id of the request that failed (framed mode). */
  requestId?: number;
  /** The handler's exit code, when it exited. */
  exitCode?: number | null;
  /** The signal that ended the handler, when one did. */
  signal?: NodeJS.Signals | null;
  /** The last lines the handler wrote to stderr before the failure. */
  stderrTail?: string[];
  /** True when the failure is a timeout. */
  timedOut?: boolean;
  /** For `UMD_HANDLER_ERROR`: the handler's own code (negative errno style, e.g. -22). */
  handlerCode?: number;
  /** Name of the handler or driver involved. */
  handlerName?: string;
  /** Process id of the handler involved. */
  pid?: number;
}

const BRAND = Symbol.for('umd.error');

/** The error class of umd. Check with {@link isUmdError} rather than `instanceof` across package copies. */
export class UmdError extends Error implements UmdErrorDetails {
  /** What kind of failure this is. */
  readonly code: UmdErrorCode;
  declare readonly requestId?: number;
  declare readonly exitCode?: number | null;
  declare readonly signal?: NodeJS.Signals | null;
  declare readonly stderrTail?: string[];
  declare readonly timedOut?: boolean;
  declare readonly handlerCode?: number;
  declare readonly handlerName?: string;
  declare readonly pid?: number;

  constructor(code: UmdErrorCode, message: string, details: UmdErrorDetails = {}) {
    const { cause, ...fields } = details;
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UmdError';
    this.code = code;
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) Object.defineProperty(this, key, { value, enumerable: true });
    }
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any {@link UmdError}, also one created by another copy of this package. Pass `code` to also check the code. */
export function isUmdError(value: unknown, code?: UmdErrorCode): value is UmdError {
  if (
    typeof value !== 'object' ||
    value === null ||
    (value as Record<symbol, unknown>)[BRAND] !== true
  )
    return false;
  return code === undefined || (value as UmdError).code === code;
}
