export { FramedChannel, type FramedChannelOptions } from './framed-channel.js';
export { RawChannel, type RawChannelOptions } from './raw-channel.js';
export {
  abortedError,
  checkPayload,
  checkReplyInto,
  isTimeoutReason,
  type ReplyOptions,
  type RequestOptions,
} from './request-options.js';
export type { ChildChannelOptions } from './child-exit.js';
export { openReplySocket, type ReplySocket, type ReplySocketOptions } from './reply-socket.js';
export { openStdioSockets, STDIO_SEND_BUFFER, type StdioSockets } from './stdio-sockets.js';
