import { constants } from 'node:os';
import { UmdError, UmdErrorCode } from '@umd/core';

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** `-22` -> `EINVAL`. */
export function errnoName(status: number): string {
  return ERRNO_NAMES.get(-status) ?? `errno ${-status}`;
}

/**
 * A call the handler answered with a negative errno, as a typed error: `UMD_HANDLER_ERROR`
 * with `handlerCode` = the status (the handler's log says what and where).
 */
export function refused(what: string, status: number): UmdError {
  return new UmdError(
    UmdErrorCode.HANDLER_ERROR,
    `bpfilter: ${what} refused: ${errnoName(status)} (${status})`,
    { handlerCode: status, handlerName: 'bpfilter' },
  );
}
