/**
 * The bpfilter handler: the iptables ABI served from a separate process. `createHandlerCore`
 * is the whole request logic as a pure function (`main.ts` runs it under `serve()`);
 * `classify` is the engine CLASSIFY uses.
 */
export { createHandlerCore, type HandlerCore, type HandlerCoreOptions } from './core.js';
export type { ClassifyReply, UpdatedCounter } from './classify-command.js';
export {
  classify,
  parsePacket,
  TCP_FLAG_BITS,
  type Classification,
  type LogEvent,
  type Packet,
  type PacketInput,
  type RulePosition,
} from './classify/index.js';
export { MATCHES, TARGETS, revisionStatus, type ExtensionSpec } from './extensions.js';
export {
  translateTable,
  type TranslateInput,
  type TranslateResult,
  type TranslatedTable,
} from './translate.js';
