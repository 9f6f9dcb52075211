/** The classification engine: packets against a compiled table model. */
export {
  classify,
  classifyCompiled,
  compiledOf,
  describePacket,
  positionOf,
  type Classification,
  type LogEvent,
  type NatTranslation,
  type RulePosition,
} from './engine.js';
export {
  Action,
  compileTable,
  type CompiledChain,
  type CompiledRule,
  type CompiledTable,
  type CompileOptions,
} from './compile.js';
export { CANNOT_EVALUATE, Walker } from './walk.js';
export {
  CT_STATE_BITS,
  CT_STATUS_BITS,
  parsePacket,
  TCP_FLAG_BITS,
  type Packet,
  type PacketInput,
} from './packet.js';
