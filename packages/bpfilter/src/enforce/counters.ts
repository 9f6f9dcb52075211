/**
 * Counters of the enforced rules: what the kernel's nft rules and map elements counted
 * (a {@link CounterReading}), mapped back to iptables entry indices, and added to the entry
 * blob GET_ENTRIES returns or to the old counters a SET_REPLACE returns.
 */
import { IptEntryOffset, viewOf, XT_COUNTERS_SIZE, type XtCounters } from '../abi/index.js';
import type { EnforcedPlan } from './compile-table.js';

/** The counters of one enforced nft table, as read from the kernel. */
export interface CounterReading {
  /** Each chain's rules' counters, in rule order (zero for a rule without a counter). */
  rules: Map<string, XtCounters[]>;
  /** Each verdict map's element counters, by element comment. */
  elements: Map<string, Map<string, XtCounters>>;
}

/**
 * Zero counters, one shared object for every entry or element the kernel did not count
 * (frozen: nothing writes into the XtCounters it reads).
 */
export const ZERO_COUNTERS: XtCounters = Object.freeze({ packets: 0n, bytes: 0n });

/** Per-entry counters of the enforced table, by iptables entry index. */
export function countersOf(plan: EnforcedPlan, reading: CounterReading): XtCounters[] {
  const out: XtCounters[] = new Array(plan.numEntries).fill(ZERO_COUNTERS);
  for (const counted of plan.counted) {
    const found = counted.element
      ? reading.elements.get(counted.element.map)?.get(counted.element.comment)
      : ruleCounters(reading.rules.get(counted.chain), counted.position, counted.rules);
    if (found && counted.entry >= 0 && counted.entry < out.length) out[counted.entry] = found;
  }
  return out;
}

/** The counters of the rule at `position` of `chain`, or the sum of `rules` rules from it. */
function ruleCounters(
  chain: readonly XtCounters[] | undefined,
  position: number,
  rules = 1,
): XtCounters | undefined {
  if (rules === 1) return chain?.[position];
  let packets = 0n;
  let bytes = 0n;
  for (let i = position; i < position + rules; i++) {
    const part = chain?.[i];
    if (part === undefined) return undefined;
    packets += part.packets;
    bytes += part.bytes;
  }
  return { packets: BigInt.asUintN(64, packets), bytes: BigInt.asUintN(64, bytes) };
}

/** Adds `extra[i]` to the counters of entry i of an entry blob, in place (u64, wrapping). */
export function addToEntries(entries: Uint8Array, extra: readonly XtCounters[]): void {
  const view = viewOf(entries);
  for (let offset = 0, index = 0; offset < entries.length; index++) {
    const next = view.getUint16(offset + IptEntryOffset.nextOffset, true);
    if (next === 0) break;
    const add = extra[index];
    if (add && (add.packets !== 0n || add.bytes !== 0n)) {
      const p = offset + IptEntryOffset.pcnt;
      const b = offset + IptEntryOffset.bcnt;
      view.setBigUint64(p, BigInt.asUintN(64, view.getBigUint64(p, true) + add.packets), true);
      view.setBigUint64(b, BigInt.asUintN(64, view.getBigUint64(b, true) + add.bytes), true);
    }
    offset += next;
  }
}

/**
 * Adds `extra[i]` to the i-th `xt_counters` of `counters` (packed as a SET_REPLACE's old
 * counters), in place (u64, wrapping); entries past either end are left as they are.
 */
export function addToCounters(counters: Uint8Array, extra: readonly XtCounters[]): void {
  const view = viewOf(counters);
  const count = Math.min(Math.floor(counters.length / XT_COUNTERS_SIZE), extra.length);
  for (let i = 0; i < count; i++) {
    const add = extra[i]!;
    if (add.packets === 0n && add.bytes === 0n) continue;
    const p = i * XT_COUNTERS_SIZE;
    view.setBigUint64(p, BigInt.asUintN(64, view.getBigUint64(p, true) + add.packets), true);
    view.setBigUint64(p + 8, BigInt.asUintN(64, view.getBigUint64(p + 8, true) + add.bytes), true);
  }
}
