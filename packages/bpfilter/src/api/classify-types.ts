/**
 * The shapes of a CLASSIFY exchange, as the handler defines them (type-only: the API sends
 * and reads the handler's JSON as is).
 */
export type { PacketInput as PacketDescription } from '../handler/classify/packet.js';
export type {
  ClassifyReply as ClassifyResult,
  UpdatedCounter,
} from '../handler/classify-command.js';
export type { LogEvent, NatTranslation, RulePosition } from '../handler/classify/engine.js';
