/**
 * One table through the socket options iptables uses: GET_INFO, GET_ENTRIES, SET_REPLACE
 * (retried on a concurrent change) and SET_ADD_COUNTERS, over any transport.
 */
import { type RequestOptions, UmdError, UmdErrorCode } from '@umd/core';
import {
  decodeCounters,
  encodeCountersInfo,
  encodeGetEntriesRequest,
  encodeReplace,
  IPT_GET_ENTRIES_HEADER_SIZE,
  IPT_GETINFO_SIZE,
  IPT_SO_GET_ENTRIES,
  IPT_SO_GET_INFO,
  IPT_SO_SET_ADD_COUNTERS,
  IPT_SO_SET_REPLACE,
  type IptGetinfo,
  type XtCounters,
  XT_COUNTERS_SIZE,
  XT_TABLE_MAXNAMELEN,
} from '../abi/index.js';
import { builtinChains, decodeTable, encodeTable, TABLE_HOOKS } from '../model/index.js';
import type { Table } from '../model/types.js';
import { entriesOfAnswer, infoOfAnswer } from '../sockopt/table-snapshot.js';
import { refused } from './refusal.js';
import type { BpfilterTransport } from './transport.js';

/** What {@link Bpfilter.replaceTable} reports. */
export interface ReplaceResult {
  /** Counters of the replaced table's entries (as the kernel returns them), in entry order. */
  oldCounters: XtCounters[];
}

/** Options of {@link Bpfilter.replaceTable} and {@link Bpfilter.restore}. */
export interface ReplaceOptions extends RequestOptions {
  /** Also load the counters given in the table (rules' and policies' `counters`, `[p:b]` in text). Default true for replaceTable, false for restore. */
  counters?: boolean;
}

// A concurrent change between our GET_INFO and SET_REPLACE makes the entry count stale
// (-EAGAIN, as in the kernel); re-read and try again a few times.
const EAGAIN_RETRIES = 5;
const EAGAIN = 11;

/** Table `name` as chains and rules, with counters (GET_INFO, then GET_ENTRIES). */
export async function readTable(
  transport: BpfilterTransport,
  name: string,
  options: RequestOptions,
): Promise<Table> {
  const info = await tableInfo(transport, name, options);
  const buffer = new Uint8Array(IPT_GET_ENTRIES_HEADER_SIZE + info.size);
  buffer.set(encodeGetEntriesRequest(name, info.size));
  const reply = await transport.getsockopt(IPT_SO_GET_ENTRIES, buffer, options);
  if (reply.status < 0) throw refused(`GET_ENTRIES of table "${name}"`, reply.status);
  const entries = entriesOfAnswer(name, reply.data ?? new Uint8Array(0), info.size);
  return decodeTable(name, info, entries);
}

/**
 * Replaces table `name` with `table` (SET_REPLACE, user chains in `strcmp` order as libiptc
 * writes them), then, unless `options.counters` is false, adds its counters (SET_ADD_COUNTERS).
 */
export async function writeTable(
  transport: BpfilterTransport,
  name: string,
  table: Table,
  options: ReplaceOptions,
): Promise<ReplaceResult> {
  checkTableName(name);
  if (typeof table !== 'object' || table === null || table.name !== name)
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `bpfilter: replaceTable("${name}") was given table "${(table as Table | null)?.name}"`,
    );
  let encoded;
  try {
    encoded = encodeTable(withSortedUserChains(table));
  } catch (cause) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `bpfilter: cannot encode table "${name}": ${(cause as Error).message}`,
      { cause },
    );
  }
  for (let attempt = 0; ; attempt++) {
    const current = await tableInfo(transport, name, options);
    const replace = encodeReplace({
      ...encoded,
      numCounters: current.numEntries,
      countersPointer: 0n,
    });
    const reply = await transport.setsockopt(IPT_SO_SET_REPLACE, replace, options);
    if (reply.status === -EAGAIN && attempt < EAGAIN_RETRIES) continue;
    if (reply.status < 0) throw refused(`SET_REPLACE of table "${name}"`, reply.status);
    const data = reply.data ?? new Uint8Array(0);
    const oldCounters = decodeCounters(data, 0, Math.floor(data.length / XT_COUNTERS_SIZE));
    if (
      options.counters !== false &&
      encoded.counters.some((c) => c.packets !== 0n || c.bytes !== 0n)
    ) {
      const added = await transport.setsockopt(
        IPT_SO_SET_ADD_COUNTERS,
        encodeCountersInfo({ name, counters: encoded.counters }),
        options,
      );
      if (added.status < 0) throw refused(`SET_ADD_COUNTERS of table "${name}"`, added.status);
    }
    return { oldCounters };
  }
}

async function tableInfo(
  transport: BpfilterTransport,
  name: string,
  options: RequestOptions,
): Promise<IptGetinfo> {
  checkTableName(name);
  const buffer = new Uint8Array(IPT_GETINFO_SIZE);
  new TextEncoder().encodeInto(name, buffer);
  const reply = await transport.getsockopt(IPT_SO_GET_INFO, buffer, options);
  if (reply.status < 0) throw refused(`GET_INFO of table "${name}"`, reply.status);
  return infoOfAnswer(name, reply.data ?? new Uint8Array(0));
}

/** A table name the ABI can carry: a string of 1 to 31 characters without NUL. */
function checkTableName(name: unknown): asserts name is string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length >= XT_TABLE_MAXNAMELEN ||
    name.includes('\0')
  )
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `bpfilter: invalid table name ${JSON.stringify(name) ?? String(name)}`,
    );
}

/** libiptc keeps user chains sorted by name (`strcmp`) and writes them in that order. */
function withSortedUserChains(table: Table): Table {
  const builtinNames: string[] = builtinChains(TABLE_HOOKS.get(table.name) ?? 0);
  const builtin = table.chains.filter((c) => builtinNames.includes(c.name));
  const user = table.chains
    .filter((c) => !builtinNames.includes(c.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { name: table.name, chains: [...builtin, ...user] };
}
