/**
 * The table-level structs of the iptables sockopt ABI (x86-64 layouts):
 * `ipt_getinfo`, `ipt_get_entries`, `ipt_replace`, `xt_counters_info`, `xt_get_revision`.
 */
import { NF_INET_NUMHOOKS } from './constants.js';
import { readCString, viewOf, writeCString } from './bytes.js';

/** `XT_TABLE_MAXNAMELEN`: table names are 32-byte NUL-terminated fields. */
export const XT_TABLE_MAXNAMELEN = 32;
/** `XT_EXTENSION_MAXNAMELEN`: match/target names are 29 bytes. */
export const XT_EXTENSION_MAXNAMELEN = 29;
/** `XT_FUNCTION_MAXNAMELEN`: the ERROR target's chain name field is 30 bytes. */
export const XT_FUNCTION_MAXNAMELEN = 30;

/** Five u32 per-hook offsets (`hook_entry` or `underflow`). */
export type HookOffsets = [number, number, number, number, number];

/**
 * What every table-level struct says about a table's entry blob (`ipt_getinfo`,
 * `ipt_replace`, and the tables bpfilter validates, keeps and encodes): its hooks, where each
 * hook's chain starts and ends, and its entry count and size.
 */
export interface TableHeader {
  validHooks: number;
  /** Offset of each hook's first entry (0xFFFFFFFF in a validated table for hooks it lacks). */
  hookEntry: HookOffsets;
  /** Offset of each hook's policy entry. */
  underflow: HookOffsets;
  numEntries: number;
  /** Bytes of entries. */
  size: number;
}

/** `struct ipt_getinfo` (84 bytes). */
export interface IptGetinfo extends TableHeader {
  name: string;
}
/** `sizeof(struct ipt_getinfo)`. */
export const IPT_GETINFO_SIZE = 84;

function readHooks(view: DataView, offset: number): HookOffsets {
  const out: number[] = [];
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) out.push(view.getUint32(offset + 4 * h, true));
  return out as HookOffsets;
}
function writeHooks(view: DataView, offset: number, hooks: HookOffsets): void {
  for (let h = 0; h < NF_INET_NUMHOOKS; h++)
    view.setUint32(offset + 4 * h, (hooks[h] ?? 0) >>> 0, true);
}

/** Encode an `ipt_getinfo` (the bytes the kernel copies back for `IPT_SO_GET_INFO`). */
export function encodeGetinfo(info: IptGetinfo): Uint8Array {
  const bytes = new Uint8Array(IPT_GETINFO_SIZE);
  const view = viewOf(bytes);
  writeCString(bytes, 0, XT_TABLE_MAXNAMELEN, info.name);
  view.setUint32(32, info.validHooks >>> 0, true);
  writeHooks(view, 36, info.hookEntry);
  writeHooks(view, 56, info.underflow);
  view.setUint32(76, info.numEntries >>> 0, true);
  view.setUint32(80, info.size >>> 0, true);
  return bytes;
}

/** Decode an `ipt_getinfo` (`bytes` must hold at least 84 bytes). */
export function decodeGetinfo(bytes: Uint8Array): IptGetinfo {
  const view = viewOf(bytes);
  return {
    name: readCString(bytes, 0, XT_TABLE_MAXNAMELEN),
    validHooks: view.getUint32(32, true),
    hookEntry: readHooks(view, 36),
    underflow: readHooks(view, 56),
    numEntries: view.getUint32(76, true),
    size: view.getUint32(80, true),
  };
}

/** `sizeof(struct ipt_get_entries)`: name[32], u32 size, 4 bytes of padding; entries at 40. */
export const IPT_GET_ENTRIES_HEADER_SIZE = 40;

/** The header of `struct ipt_get_entries`. */
export interface IptGetEntriesHeader {
  name: string;
  size: number;
}

/** Encode a full `ipt_get_entries` request/answer buffer: header + entries. */
export function encodeGetEntries(name: string, entries: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(IPT_GET_ENTRIES_HEADER_SIZE + entries.length);
  writeCString(bytes, 0, XT_TABLE_MAXNAMELEN, name);
  viewOf(bytes).setUint32(32, entries.length, true);
  bytes.set(entries, IPT_GET_ENTRIES_HEADER_SIZE);
  return bytes;
}

/** A GET_ENTRIES request for the `size` bytes of entries of table `name` (the header alone). */
export function encodeGetEntriesRequest(name: string, size: number): Uint8Array {
  const request = encodeGetEntries(name, new Uint8Array(0));
  viewOf(request).setUint32(32, size, true);
  return request;
}

/** Decode the header of an `ipt_get_entries` buffer (at least 36 bytes). */
export function decodeGetEntriesHeader(bytes: Uint8Array): IptGetEntriesHeader {
  return {
    name: readCString(bytes, 0, XT_TABLE_MAXNAMELEN),
    size: viewOf(bytes).getUint32(32, true),
  };
}

/** `sizeof(struct ipt_replace)` on x86-64: entries start at 96. */
export const IPT_REPLACE_HEADER_SIZE = 96;

/** Where `num_counters` is in an `ipt_replace`. */
export const IPT_REPLACE_NUM_COUNTERS_OFFSET = 84;

/** `struct ipt_replace` with its entries. */
export interface IptReplace extends TableHeader {
  name: string;
  numCounters: number;
  /** The caller's `counters` pointer (bytes 88..95); meaningless outside the caller. */
  countersPointer: bigint;
  /** The entry blob (`size` bytes when well-formed). */
  entries: Uint8Array;
}

/** Encode an `ipt_replace` followed by its entries. */
export function encodeReplace(replace: IptReplace): Uint8Array {
  const bytes = new Uint8Array(IPT_REPLACE_HEADER_SIZE + replace.entries.length);
  const view = viewOf(bytes);
  writeCString(bytes, 0, XT_TABLE_MAXNAMELEN, replace.name);
  view.setUint32(32, replace.validHooks >>> 0, true);
  view.setUint32(36, replace.numEntries >>> 0, true);
  view.setUint32(40, replace.size >>> 0, true);
  writeHooks(view, 44, replace.hookEntry);
  writeHooks(view, 64, replace.underflow);
  view.setUint32(IPT_REPLACE_NUM_COUNTERS_OFFSET, replace.numCounters >>> 0, true);
  view.setBigUint64(88, replace.countersPointer, true);
  bytes.set(replace.entries, IPT_REPLACE_HEADER_SIZE);
  return bytes;
}

/**
 * Decode an `ipt_replace` (at least 96 bytes). `entries` is a view of the `size` bytes after
 * the header: bytes past them are ignored, as the kernel ignores them; fewer is for the caller
 * to refuse (`entries.length < size`).
 */
export function decodeReplace(bytes: Uint8Array): IptReplace {
  const view = viewOf(bytes);
  const size = view.getUint32(40, true);
  return {
    name: readCString(bytes, 0, XT_TABLE_MAXNAMELEN),
    validHooks: view.getUint32(32, true),
    numEntries: view.getUint32(36, true),
    size,
    hookEntry: readHooks(view, 44),
    underflow: readHooks(view, 64),
    numCounters: view.getUint32(IPT_REPLACE_NUM_COUNTERS_OFFSET, true),
    countersPointer: view.getBigUint64(88, true),
    entries: bytes.subarray(IPT_REPLACE_HEADER_SIZE, IPT_REPLACE_HEADER_SIZE + size),
  };
}

/** `struct xt_counters`: 16 bytes, packets then bytes. */
export interface XtCounters {
  packets: bigint;
  bytes: bigint;
}
/** `sizeof(struct xt_counters)`. */
export const XT_COUNTERS_SIZE = 16;

/** Encode an array of `xt_counters`. */
export function encodeCounters(counters: readonly XtCounters[]): Uint8Array {
  const bytes = new Uint8Array(counters.length * XT_COUNTERS_SIZE);
  const view = viewOf(bytes);
  counters.forEach((c, i) => {
    view.setBigUint64(i * 16, BigInt.asUintN(64, c.packets), true);
    view.setBigUint64(i * 16 + 8, BigInt.asUintN(64, c.bytes), true);
  });
  return bytes;
}

/**
 * `xt_counters` of counter pairs (`[packets0, bytes0, packets1, ...]`) as {@link
 * encodeCounters} writes them: on a little-endian host the pairs' own memory (no copy; the
 * caller gives the array up), elsewhere written out.
 */
export function encodeCounterPairs(pairs: BigUint64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(pairs.buffer, pairs.byteOffset, pairs.byteLength);
  const bytes = new Uint8Array(pairs.byteLength);
  const view = viewOf(bytes);
  for (let i = 0; i < pairs.length; i++) view.setBigUint64(i * 8, pairs[i]!, true);
  return bytes;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decode `count` `xt_counters` from `bytes` at `offset`. */
export function decodeCounters(bytes: Uint8Array, offset: number, count: number): XtCounters[] {
  const view = viewOf(bytes);
  const out: XtCounters[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      packets: view.getBigUint64(offset + i * 16, true),
      bytes: view.getBigUint64(offset + i * 16 + 8, true),
    });
  }
  return out;
}

/** `sizeof(struct xt_counters_info)` on x86-64: name[32], u32 num_counters, pad; counters at 40. */
export const XT_COUNTERS_INFO_HEADER_SIZE = 40;

/** Where `num_counters` is in an `xt_counters_info`. */
export const XT_COUNTERS_INFO_NUM_OFFSET = 32;

/** `struct xt_counters_info` with its counters. */
export interface XtCountersInfo {
  name: string;
  numCounters: number;
  counters: XtCounters[];
}

/**
 * Encode an `xt_counters_info` (numCounters: how many counters there are, unless given). The
 * counters as objects, or as pairs (`[packets0, bytes0, packets1, ...]`, as {@link
 * encodeCounterPairs} takes them): a table's worth of zeros needs no BigInt written one by one.
 */
export function encodeCountersInfo(info: {
  name: string;
  counters: readonly XtCounters[] | BigUint64Array;
  numCounters?: number;
}): Uint8Array {
  const { counters } = info;
  const pairs = counters instanceof BigUint64Array;
  const body = pairs ? encodeCounterPairs(counters) : encodeCounters(counters);
  const bytes = new Uint8Array(XT_COUNTERS_INFO_HEADER_SIZE + body.length);
  writeCString(bytes, 0, XT_TABLE_MAXNAMELEN, info.name);
  const count = pairs ? counters.length / 2 : counters.length;
  viewOf(bytes).setUint32(XT_COUNTERS_INFO_NUM_OFFSET, (info.numCounters ?? count) >>> 0, true);
  bytes.set(body, XT_COUNTERS_INFO_HEADER_SIZE);
  return bytes;
}

/** Decode the header of an `xt_counters_info` (at least 36 bytes). */
export function decodeCountersInfoHeader(bytes: Uint8Array): { name: string; numCounters: number } {
  return {
    name: readCString(bytes, 0, XT_TABLE_MAXNAMELEN),
    numCounters: viewOf(bytes).getUint32(XT_COUNTERS_INFO_NUM_OFFSET, true),
  };
}

/** `struct xt_get_revision` (30 bytes): name[29], u8 revision. */
export interface XtGetRevision {
  name: string;
  revision: number;
}
/** `sizeof(struct xt_get_revision)`. */
export const XT_GET_REVISION_SIZE = 30;

/** Encode an `xt_get_revision`. */
export function encodeGetRevision(rev: XtGetRevision): Uint8Array {
  const bytes = new Uint8Array(XT_GET_REVISION_SIZE);
  writeCString(bytes, 0, XT_EXTENSION_MAXNAMELEN, rev.name);
  bytes[29] = rev.revision & 0xff;
  return bytes;
}

/** Decode an `xt_get_revision` (at least 30 bytes; the name is cut at byte 28 like the kernel). */
export function decodeGetRevision(bytes: Uint8Array): XtGetRevision {
  return { name: readCString(bytes, 0, XT_EXTENSION_MAXNAMELEN - 1), revision: bytes[29] ?? 0 };
}
