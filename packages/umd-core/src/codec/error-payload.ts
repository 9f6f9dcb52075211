import { protocolError } from './protocol-error.js';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { untrustedText } from '../errors/untrusted-text.js';

/** The contents of an ERROR frame. */
export interface ErrorPayload {
  /** The handler's error code, negative errno style (e.g. -22 for EINVAL). */
  code: number;
  /** The handler's message. */
  message: string;
}

/** How much of a handler's ERROR message, and of its HELLO name, an error message keeps. */
export const MAX_MESSAGE_LENGTH = 1024;
const MAX_NAME_LENGTH = 64;

/** A handler's HELLO name as an error message shows it ({@link untrustedText}, 64 characters). */
export function handlerNameText(name: string): string {
  return untrustedText(name, MAX_NAME_LENGTH);
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** Encodes an ERROR payload: i32 code (little-endian), then the UTF-8 message. */
export function encodeErrorPayload(code: number, message: string): Uint8Array {
  if (!Number.isInteger(code) || code < -0x8000_0000 || code > 0x7fff_ffff) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `error code ${code} is not an i32`);
  }
  const text = utf8Encoder.encode(message);
  const payload = new Uint8Array(4 + text.byteLength);
  new DataView(payload.buffer).setInt32(0, code, true);
  payload.set(text, 4);
  return payload;
}

/**
 * Decodes an ERROR payload. Invalid UTF-8 in the message is replaced rather than refused: the code
 * is what matters and the message is for humans.
 * @throws UmdError `UMD_PROTOCOL` when the payload is shorter than the 4-byte code.
 */
export function decodeErrorPayload(payload: Uint8Array): ErrorPayload {
  if (payload.byteLength < 4)
    throw protocolError(
      `ERROR payload of ${payload.byteLength} bytes is shorter than its 4-byte code`,
    );
  const code = new DataView(payload.buffer, payload.byteOffset, 4).getInt32(0, true);
  return { code, message: utf8Decoder.decode(payload.subarray(4)) };
}

/**
 * The error a caller gets for an ERROR frame answering its request `id`: `UMD_HANDLER_ERROR` with
 * the handler's code as `handlerCode`.
 * @throws UmdError `UMD_PROTOCOL` when the payload is not a valid ERROR payload.
 */
export function handlerErrorFor(payload: Uint8Array, id: number, handlerName: string): UmdError {
  const { code, message } = decodeErrorPayload(payload);
  const name = handlerNameText(handlerName);
  return new UmdError(
    UmdErrorCode.HANDLER_ERROR,
    `handler "${name}" failed request ${id} with code ${code}: ${untrustedText(message, MAX_MESSAGE_LENGTH)}`,
    { handlerCode: code, requestId: id, handlerName },
  );
}
