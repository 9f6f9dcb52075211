export {
  DEFAULT_MAX_PAYLOAD,
  FRAME_HEADER_SIZE,
  FRAME_MAGIC,
  FrameType,
  MAX_PAYLOAD_LIMIT,
  PROTOCOL_VERSION,
  frameTypeName,
  isFrameType,
} from './constants.js';
export { encodeFrame, encodeFrameHeader, writeFrameHeader, type Frame } from './frame.js';
export { FrameDecoder, type FrameDecoderOptions } from './frame-decoder.js';
export { decodeHello, encodeHello, type Hello } from './hello.js';
export { decodeErrorPayload, encodeErrorPayload, type ErrorPayload } from './error-payload.js';
export { NOT_STARTED_CODE, NOT_STARTED_MESSAGE, isNotStartedAnswer } from './not-started.js';
