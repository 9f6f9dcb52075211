/**
 * Counters of the enforced rules: read from an `nft -j list table` listing, mapped back to
 * iptables entry indices, and added to the entry blob GET_ENTRIES returns or to the old
 * counters a SET_REPLACE returns.
 */
import { IptEntryOffset, viewOf, type XtCounters } from '../abi/index.js';
import type { NftListing } from './nft-runner.js';
import type { NftTablePlan } from './translate-table.js';

/** Per-entry counters of the enforced table, by iptables entry index. */
export function countersFromListing(plan: NftTablePlan, listing: NftListing): XtCounters[] {
  const byChain = new Map<string, XtCounters[]>();
  for (const item of listing.nftables) {
    if (!item.rule) continue;
    const counter = item.rule.expr.find((e) => 'counter' in e)?.counter as
      | { packets?: number; bytes?: number }
      | undefined;
    const list = byChain.get(item.rule.chain) ?? [];
    list.push({ packets: BigInt(counter?.packets ?? 0), bytes: BigInt(counter?.bytes ?? 0) });
    byChain.set(item.rule.chain, list);
  }
  const out: XtCounters[] = Array.from({ length: plan.numEntries }, () => ({
    packets: 0n,
    bytes: 0n,
  }));
  for (const { entry, chain, position } of plan.counted) {
    const found = byChain.get(chain)?.[position];
    if (found && entry >= 0 && entry < out.length) out[entry] = found;
  }
  return out;
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

/** `a[i] + b[i]` (u64, wrapping), as long as `a`. */
export function addCounters(a: readonly XtCounters[], b: readonly XtCounters[]): XtCounters[] {
  return a.map((c, i) => ({
    packets: BigInt.asUintN(64, c.packets + (b[i]?.packets ?? 0n)),
    bytes: BigInt.asUintN(64, c.bytes + (b[i]?.bytes ?? 0n)),
  }));
}
