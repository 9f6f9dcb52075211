export {
  Bpfilter,
  type BpfilterOptions,
  type ReplaceOptions,
  type ReplaceResult,
} from './bpfilter.js';
export type {
  ClassifyResult,
  LogEvent,
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
