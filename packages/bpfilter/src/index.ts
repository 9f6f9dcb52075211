/**
 * `@umd/bpfilter`: the kernel's bpfilter ported onto umd. A front end routes iptables socket
 * options to a handler process that validates, keeps and evaluates the rule tables; tables
 * survive handler restarts. Use {@link Bpfilter} for tables as chains and rules,
 * {@link BpfilterSockopt} for the raw socket-option ABI, {@link formatSave}/{@link parseSave}
 * for the iptables-save text format, and `serve`/`exec` to let real iptables programs in.
 * @packageDocumentation
 */
export * from './api/index.js';
export * from './sockopt/index.js';
export * from './text/index.js';
export * from './enforce/index.js';
export type * from './model/types.js';
export type { XtCounters } from './abi/index.js';
export {
  BPFILTER_SOCKET_ENV,
  connectService,
  exec,
  serve,
  type BpfilterService,
  type ExecOptions,
  type ExecResult,
  type ServeOptions,
  type ServiceClient,
  type ServiceBackend,
  type ServiceReply,
  type SockoptBackend,
} from './service/index.js';
export { runDemo, type DemoOptions } from './demo.js';
