import { FrameType } from '../codec/constants.js';
import { handlerErrorFor, handlerNameText } from '../codec/error-payload.js';
import type { Frame } from '../codec/frame.js';
import type { Hello } from '../codec/hello.js';
import { isNotStartedAnswer, notStartedError } from '../codec/not-started.js';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { errorForPending } from './close-reason.js';
import type { PendingRequest } from './request-book.js';
import { isDetached, replyIntoDetachedError } from './request-options.js';

/** Rejects a framed request with `error`, done for good: its signal and timer disarmed. */
export function rejectRequest(entry: PendingRequest, error: UmdError): void {
  entry.state = 'done';
  entry.disarm();
  entry.reject(error);
}

/** The rejection of a request larger than the handler's HELLO accepts (nothing of it is sent). */
export function tooLargeForHandler(entry: PendingRequest, hello: Hello): UmdError {
  return new UmdError(
    UmdErrorCode.TOO_LARGE,
    `request payload of ${entry.payload.byteLength} bytes exceeds the ${hello.maxPayload} bytes the handler "${handlerNameText(hello.name)}" accepts; nothing was sent`,
    { handlerName: hello.name },
  );
}

/**
 * Settles the request a REPLY or ERROR frame answers (taken out of the books already): its reply,
 * the handler's error, or `UMD_NOT_STARTED` for a reclaimed one. Returns the protocol violation
 * the channel must close with when the ERROR payload breaks the wire format (the request rejects
 * with it too), else `undefined`.
 */
export function settleAnswer(
  entry: PendingRequest,
  frame: Frame,
  handlerName: string,
): UmdError | undefined {
  const { type, id, payload } = frame;
  entry.state = 'done';
  entry.disarm();
  if (type === FrameType.Reply && entry.replyInto !== undefined && isDetached(entry.replyInto)) {
    // The caller gave its buffer away while the reply was read into it: that reply is lost.
    entry.reject(replyIntoDetachedError(`request ${id}`, id));
  } else if (type === FrameType.Reply) {
    // An empty reply is never allocated; it is still a view of the caller's buffer when one was given.
    entry.resolve(
      payload.byteLength === 0 && entry.replyInto ? entry.replyInto.subarray(0, 0) : payload,
    );
  } else if (entry.reclaiming && isNotStartedAnswer(payload)) {
    entry.reject(notStartedError(id, 'the handler answered its CANCEL'));
  } else {
    let error: UmdError;
    try {
      error = handlerErrorFor(payload, id, handlerName);
    } catch (violation) {
      entry.reject(errorForPending(violation as UmdError, id));
      return violation as UmdError;
    }
    entry.reject(error);
  }
  return undefined;
}
