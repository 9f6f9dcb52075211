/**
 * The table model: chains and rules <-> the kernel's entry blob.
 *
 * - {@link decodeTable}: GET_ENTRIES entries (+ GET_INFO hooks) -> {@link Table}.
 * - {@link encodeTable}: {@link Table} -> entries + `ipt_replace` header fields + counters;
 *   {@link encodeReplaceRequest} gives the whole SET_REPLACE option.
 * - {@link entryLayout}: entry index of every rule (counters are per entry).
 */
export type * from './types.js';
export { canonicalRule, canonicalTable, isAnyIcmpCode, isAnyPort } from './canonical.js';
export { decodeTable, type TableLayout } from './decode.js';
export { encodeTable, encodeReplaceRequest, type EncodedTable } from './encode.js';
export { entryLayout, type ChainEntries } from './layout.js';
export { TABLE_HOOKS, builtinChains, hookOf } from './tables.js';
export { formatCidr, parseCidr, prefixLength, maskOf } from './address.js';
