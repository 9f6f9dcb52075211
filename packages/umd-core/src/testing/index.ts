export { createChannelPair, type ChannelPair, type ChannelPairOptions } from './channel-pair.js';
export {
  childrenOf,
  descendantsOf,
  groupMembers,
  isAlive,
  type ProcessInfo,
  processTable,
  readProcess,
} from './process-table.js';
export { type PollOptions, pollUntil } from './poll-until.js';
export { sameBytes } from './same-bytes.js';
export { TemporaryDirs } from './temporary-dirs.js';
export {
  type ReplyMemoryStats,
  replyMemoryOutBytes,
  replyMemoryStats,
} from '../channel/reply-memory.js';
