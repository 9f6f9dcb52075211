import { UmdError, UmdErrorCode } from '../errors/umd-error.js';

/** A `UMD_PROTOCOL` error: the byte stream broke the wire format and can no longer be trusted. */
export function protocolError(
  message: string,
  details: { requestId?: number; cause?: unknown } = {},
): UmdError {
  return new UmdError(UmdErrorCode.PROTOCOL, message, details);
}
