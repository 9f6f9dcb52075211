/** The kernel's `do_ipt_set_ctl`: SET_REPLACE (`do_replace`) and SET_ADD_COUNTERS. */
import {
  Errno,
  IPT_REPLACE_HEADER_SIZE,
  XT_COUNTERS_INFO_HEADER_SIZE,
  XT_COUNTERS_SIZE,
  XT_TABLE_MAXNAMELEN,
  decodeCountersInfoHeader,
  decodeReplace,
  encodeCounterPairs,
  type IptReplace,
  readCString,
  tableDigest,
  viewOf,
} from '../abi/index.js';
import type { TableStore } from './table-store.js';
import { hostEnvironment } from './check-environment.js';
import { rateEstimatorsIn } from './table-scan.js';
import { type TranslatedTable, translateTable } from './translate.js';

/** A set's outcome: status, for a replace the old counters, and why it failed. */
export interface SetResult {
  status: number;
  body?: Uint8Array;
  message?: string;
}

/** Largest table accepted (the kernel's limit is 512 MiB; a request cannot exceed the frame). */
export const MAX_TABLE_SIZE = 64 * 1024 * 1024;
/** The kernel's XT_MAX_TABLE_SIZE, which also bounds translate_table's array of entry offsets. */
const XT_MAX_TABLE_SIZE = 512 * 1024 * 1024;
const INT_MAX = 0x7fffffff;

/**
 * `IPT_SO_SET_REPLACE`: validate, then swap atomically; the reply carries the old counters,
 * and with `receipt` (`UMD_CMD_REPLACE`) the digest of the table now held after them.
 */
export function setReplace(store: TableStore, data: Uint8Array, receipt = false): SetResult {
  const checked = translatedReplace(store, data);
  if (!('table' in checked)) return checked;
  const { name, replace, table } = checked;
  // __do_replace's first step: room for the old counters (xt_counters_alloc).
  if (replace.numCounters * XT_COUNTERS_SIZE > XT_MAX_TABLE_SIZE)
    return {
      status: -Errno.ENOMEM,
      message: `SET_REPLACE "${name}": num_counters ${replace.numCounters} is too large`,
    };
  const live = store.get(name);
  if (!live) return { status: -Errno.ENOENT, message: `SET_REPLACE: no table "${name}"` };
  if (replace.validHooks !== live.table.validHooks) {
    return {
      status: -Errno.EINVAL,
      message: `SET_REPLACE "${name}": valid_hooks 0x${replace.validHooks.toString(16)} != the table's 0x${live.table.validHooks.toString(16)}`,
    };
  }
  if (replace.numCounters !== live.table.numEntries) {
    return {
      status: -Errno.EAGAIN,
      message: `SET_REPLACE "${name}": num_counters ${replace.numCounters} != the current ${live.table.numEntries} entries (table changed?)`,
    };
  }
  const old = encodeCounterPairs(store.replace(live, table));
  if (!receipt) return { status: 0, body: old };
  const digest = tableDigest({ name, ...table }, table.entries);
  const body = new Uint8Array(old.length + digest.length);
  body.set(old);
  body.set(digest, old.length);
  return { status: 0, body };
}

/**
 * `UMD_CMD_CHECK_REPLACE`: the checks of {@link setReplace} of the request and its entries
 * (`translate_table`), not those against the table in use, and nothing taken (no table comes
 * into use); the reply is the digest of the table a replace would keep.
 */
export function checkReplace(store: TableStore, data: Uint8Array): SetResult {
  const checked = translatedReplace(store, data);
  if (!('table' in checked)) return checked;
  const { name, table } = checked;
  return { status: 0, body: tableDigest({ name, ...table }, table.entries) };
}

/** A SET_REPLACE request checked and translated (`translate_table`). */
interface TranslatedReplace {
  name: string;
  replace: IptReplace;
  table: TranslatedTable;
}

/** The request checked and translated, or why not. */
function translatedReplace(store: TableStore, data: Uint8Array): TranslatedReplace | SetResult {
  if (data.length < IPT_REPLACE_HEADER_SIZE)
    return {
      status: -Errno.EINVAL,
      message: `SET_REPLACE: ${data.length} bytes, shorter than ipt_replace (${IPT_REPLACE_HEADER_SIZE})`,
    };
  const replace = decodeReplace(data);
  const name = readCString(data, 0, XT_TABLE_MAXNAMELEN - 1);
  if (replace.numCounters >= Math.floor(INT_MAX / XT_COUNTERS_SIZE))
    return {
      status: -Errno.ENOMEM,
      message: `SET_REPLACE "${name}": num_counters ${replace.numCounters} is too large`,
    };
  if (replace.numCounters === 0)
    return { status: -Errno.EINVAL, message: `SET_REPLACE "${name}": num_counters is 0` };
  // Too few entry bytes is EINVAL, before the size is looked at (decodeReplace drops any past it).
  if (replace.entries.length < replace.size) {
    return {
      status: -Errno.EINVAL,
      message: `SET_REPLACE "${name}": header says ${replace.size} bytes of entries, the option carries ${replace.entries.length}`,
    };
  }
  if (replace.size > MAX_TABLE_SIZE)
    return {
      status: -Errno.ENOMEM,
      message: `SET_REPLACE "${name}": size ${replace.size} is too large`,
    };
  // translate_table allocates an offset per entry first (xt_alloc_entry_offsets), whatever the blob holds.
  if (replace.numEntries > XT_MAX_TABLE_SIZE / 4)
    return {
      status: -Errno.ENOMEM,
      message: `SET_REPLACE "${name}": num_entries ${replace.numEntries} is too large`,
    };
  const env = hostEnvironment(rateEstimatorsIn(store), store.kernelSets);
  // One object literal, not `{ ...replace, name, env }`: V8 gave that spread a new map in
  // every restore after the 5th or so (the handler's `translate` then deoptimized, "wrong map",
  // and was compiled again in each; the enforcement history, session 22, has the figures).
  const { validHooks, numEntries, size, hookEntry, underflow, entries } = replace;
  const into = store.entriesMemory(name, size);
  const input = { name, validHooks, numEntries, size, hookEntry, underflow, entries, env, into };
  const result = translateTable(input);
  if (!result.ok)
    return { status: -result.errno, message: `SET_REPLACE "${name}": ${result.message}` };
  return { name, replace, table: result.table };
}

/** `IPT_SO_SET_ADD_COUNTERS`: add to each entry's counters, in entry order. */
export function setAddCounters(store: TableStore, data: Uint8Array): SetResult {
  // No counters at all is EINVAL before the table is looked up (the kernel's xt_copy_counters).
  if (data.length <= XT_COUNTERS_INFO_HEADER_SIZE)
    return {
      status: -Errno.EINVAL,
      message: `SET_ADD_COUNTERS: ${data.length} bytes, no counters after xt_counters_info`,
    };
  const { numCounters } = decodeCountersInfoHeader(data);
  const name = readCString(data, 0, XT_TABLE_MAXNAMELEN - 1);
  if (numCounters * XT_COUNTERS_SIZE !== data.length - XT_COUNTERS_INFO_HEADER_SIZE) {
    return {
      status: -Errno.EINVAL,
      message: `SET_ADD_COUNTERS "${name}": ${numCounters} counters need ${numCounters * XT_COUNTERS_SIZE} bytes, got ${data.length - XT_COUNTERS_INFO_HEADER_SIZE}`,
    };
  }
  const live = store.get(name);
  if (!live) return { status: -Errno.ENOENT, message: `SET_ADD_COUNTERS: no table "${name}"` };
  if (numCounters !== live.table.numEntries) {
    return {
      status: -Errno.EINVAL,
      message: `SET_ADD_COUNTERS "${name}": ${numCounters} counters for ${live.table.numEntries} entries`,
    };
  }
  const view = viewOf(data);
  for (let i = 0; i < numCounters; i++) {
    const base = XT_COUNTERS_INFO_HEADER_SIZE + i * XT_COUNTERS_SIZE;
    live.counters[2 * i] = (live.counters[2 * i] ?? 0n) + view.getBigUint64(base, true);
    live.counters[2 * i + 1] = (live.counters[2 * i + 1] ?? 0n) + view.getBigUint64(base + 8, true);
  }
  return { status: 0 };
}
