/** Enforcement: bpfilter's tables installed into the kernel through nftables. */
export { EnforcementError, type EnforcementFailure, UntranslatableError } from './errors.js';
export { type EnforceOptions, NftEnforcer } from './enforcer.js';
export { NFT_TABLE_PREFIX, nftTableName } from './nft-layout.js';
export { planTable, replaceTransaction, type NftTablePlan } from './translate-table.js';
