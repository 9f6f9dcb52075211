export type { FramedChannelOptions, RawChannelOptions } from './channel-options.js';
export { type CallDeadline, callDeadline } from './call-deadline.js';
export { FramedChannel } from './framed-channel.js';
export { RawChannel } from './raw-channel.js';
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
