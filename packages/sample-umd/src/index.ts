/**
 * `@umd/sample-umd`: the sample user mode driver (the kernel's UMD selftest, ported) and the
 * template for new drivers. Contract, host-side manager, selftest, and (from `@umd/core/testing`) the process-table helpers.
 * @packageDocumentation
 */
export {
  decodeRequest,
  type DecodedRequest,
  DRIVER_NAME,
  EINVAL,
  encodeReply,
  encodeRequest,
  offsetProblem,
  REPLY_SIZE,
  REQUEST_SIZE,
  replyProblem,
} from './contract.js';
export {
  type HandlerEntry,
  type HandlerKind,
  handlerKinds,
  handlers,
  isHandlerKind,
} from './handlers.js';
export {
  type CheckOptions,
  type CheckResult,
  createSampleManager,
  SampleManager,
  type SampleManagerOptions,
} from './manager.js';
export { runSelftest, type SelftestOptions, type SelftestReport } from './selftest.js';
export { childrenOf, isAlive, type ProcessInfo, readProcess } from '@umd/core/testing';
export { waitForExit } from '@umd/mgmt';
// #region sample-only
export { runSampleDemo, type DemoLog, type SampleDemoOptions } from './demo.js';
export {
  generateDriver,
  type GenerateDriverOptions,
  type GeneratedDriver,
} from './generator/generate.js';
// #endregion
