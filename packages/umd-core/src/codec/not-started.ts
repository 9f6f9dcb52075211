import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { decodeErrorPayload } from './error-payload.js';

/** ECANCELED, negative errno style: the code of the answer to a CANCEL of a request not started. */
export const NOT_STARTED_CODE = -125;
/** The message of that answer: with the code, it says the request never ran and never will. */
export const NOT_STARTED_MESSAGE = 'cancelled before it started';

/**
 * True when an ERROR payload is a handler runtime's answer to a CANCEL that found the request
 * still waiting (see `serve()`): code -125 and exactly {@link NOT_STARTED_MESSAGE}. A handler
 * that fails a request it did start with that same code and message is lying about it.
 */
export function isNotStartedAnswer(payload: Uint8Array): boolean {
  try {
    const { code, message } = decodeErrorPayload(payload);
    return code === NOT_STARTED_CODE && message === NOT_STARTED_MESSAGE;
  } catch {
    return false; // not an ERROR payload: the channel reports that as it always does
  }
}

/** The error of a request taken back before its handler started it ({@link UmdErrorCode.NOT_STARTED}). */
export function notStartedError(id: number | undefined, how: string): UmdError {
  return new UmdError(
    UmdErrorCode.NOT_STARTED,
    `request ${id ?? '(unsent)'} was taken back before the handler started it (${how})`,
    id === undefined ? {} : { requestId: id },
  );
}
