export {
  Bpfilter,
  type BpfilterOptions,
  type ReplaceOptions,
  type ReplaceResult,
} from './bpfilter.js';
export {
  type BatchOptions,
  type BatchResult,
  decodeBatchReply,
  encodeBatch,
} from './batch-codec.js';
export type { BatchVerdict } from '../abi/classify-batch.js';
export type {
  ClassifyResult,
  LogEvent,
  NatTranslation,
  PacketDescription,
  RulePosition,
  UpdatedCounter,
} from './classify-types.js';
export { errnoName } from './refusal.js';
export {
  type BpfilterTransport,
  serviceTransport,
  sockoptTransport,
  type TransportReply,
} from './transport.js';
