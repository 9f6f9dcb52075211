import { UmdError, UmdErrorCode, type UmdErrorDetails } from '../errors/umd-error.js';

const DETAIL_KEYS = [
  'exitCode',
  'signal',
  'stderrTail',
  'timedOut',
  'handlerCode',
  'handlerName',
  'pid',
] as const;

/** The default reason of a channel closed without one. */
export function closedError(message = 'the channel was closed'): UmdError {
  return new UmdError(UmdErrorCode.CLOSED, message);
}

/**
 * The error one pending request gets when its channel closes: the reason's code, message and
 * details, its own `requestId`, and the reason as `cause`.
 */
export function errorForPending(reason: UmdError, requestId?: number): UmdError {
  const details: UmdErrorDetails = { cause: reason, requestId };
  for (const key of DETAIL_KEYS) {
    if (reason[key] !== undefined) (details as Record<string, unknown>)[key] = reason[key];
  }
  return new UmdError(reason.code, reason.message, details);
}

/** `reason` with more said at the end of its message: same code, details and cause. */
export function withMessageSuffix(reason: UmdError, suffix: string): UmdError {
  const details: UmdErrorDetails = { cause: reason.cause };
  for (const key of DETAIL_KEYS) {
    if (reason[key] !== undefined) (details as Record<string, unknown>)[key] = reason[key];
  }
  return new UmdError(reason.code, `${reason.message}${suffix}`, details);
}
