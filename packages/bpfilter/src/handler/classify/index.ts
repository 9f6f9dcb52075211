/** The classification engine: packets against a table model. */
export {
  classify,
  describePacket,
  type Classification,
  type LogEvent,
  type RulePosition,
} from './engine.js';
export { parsePacket, TCP_FLAG_BITS, type Packet, type PacketInput } from './packet.js';
