/**
 * `@umd/mgmt`: the management API of umd. A {@link UmdManager} lazily imports a driver's
 * loader, starts its handler process from a verified blob, serializes requests, and turns
 * every fault into a typed `UmdError`. {@link UmdPool} runs several handlers of one loader.
 * {@link defineLoader} declares the blob a driver ships.
 * @packageDocumentation
 */
export { defineLoader, isLoader } from './loader/define-loader.js';
export type { HandlerMode, HandlerSession, Loader, LoaderSpec } from './loader/loader-types.js';
export {
  UmdManager,
  type UmdExitEvent,
  type UmdManagerEvents,
  type UmdManagerState,
  type UmdManagerStats,
} from './manager/umd-manager.js';
export type { TransportOptions, UmdManagerOptions } from './manager/manager-options.js';
export {
  type ContractClient,
  contractClient,
  type ContractRequestOptions,
  type ContractTarget,
} from './contract/contract-client.js';
export type { UmdPoolOptions } from './pool/pool-options.js';
export { UmdPool } from './pool/umd-pool.js';
export type { Lookahead } from './pool/dispatch.js';
export type { UmdPoolEvents } from './pool/pool-events.js';
export type { UmdPoolStats, UmdPoolTotals } from './pool/pool-stats.js';
export type { ManagerRequestOptions } from './manager/request-options.js';
export { MAX_TIMEOUT_MS, NO_TIMEOUT } from './manager/validate-options.js';
export type { RestartBudgetOptions } from './manager/restart-budget.js';
export type { LatencySummary } from './manager/latency-stats.js';
export type { SandboxOptions } from './process/node-flags.js';
export type { ContainmentKind, ContainmentRequest } from './process/containment.js';
export { ENV_ALLOW_LIST, TUNED_ALLOCATOR_ENV } from './process/clean-env.js';
export { tunedNodeFlags } from './process/node-flags.js';
export { DiagnosticsChannels } from './observability/diagnostics.js';
export { type WaitForExitOptions, waitForExit } from './observability/wait-for-exit.js';
export type { BlobManifest } from './build/blob-manifest.js';
