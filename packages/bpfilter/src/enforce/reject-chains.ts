/**
 * REJECT rules in verdict maps. A map element holds a verdict, not a statement, so a REJECT
 * rule's element goes (`goto`) to a chain of the table that holds only that reject: one chain
 * per ICMP type the table's maps reject with. The element keeps the rule's counter; the
 * chain counts nothing. Only ICMP types join: `tcp-reset` needs the rule's `-p tcp`, which
 * nft checks in the rule that rejects.
 */
import { decodeRejectInfo, REJECT_WITH } from '../abi/index.js';
import { objectData, objectName, targetAt } from '../model/entry-index.js';
import type { RuleFacts } from './rule-facts.js';

/** `--reject-with` ICMP types -> the code nft's `reject with icmp type` sends. */
export const REJECT_ICMP: Record<string, number> = {
  'icmp-net-unreachable': 0,
  'icmp-host-unreachable': 1,
  'icmp-proto-unreachable': 2,
  'icmp-port-unreachable': 3,
  'icmp-net-prohibited': 9,
  'icmp-host-prohibited': 10,
  'icmp-admin-prohibited': 13,
};

/** The `--reject-with` of the REJECT target at offset `target` of `bytes`, else undefined. */
export function rejectWith(bytes: Uint8Array, target: number): string | undefined {
  const info = objectData(bytes, target);
  return objectName(bytes, target) === 'REJECT' && bytes[target + 31] === 0 && info.length === 8
    ? REJECT_WITH[decodeRejectInfo(info)]
    : undefined;
}

/** Whether the REJECT at `target` can be a map element (an ICMP type nft sends). */
export function rejectsWithIcmp(bytes: Uint8Array, target: number): boolean {
  const name = rejectWith(bytes, target);
  return name !== undefined && REJECT_ICMP[name] !== undefined;
}

/** The ICMP type (`--reject-with`) of entry `entry`, whose target is a REJECT map elements take. */
export function rejectTypeOf(facts: RuleFacts, entry: number): string {
  return rejectWith(facts.bytes, targetAt(facts.bytes, facts.offsets[entry]!))!;
}

/**
 * The chain that rejects with ICMP type `type`: longer than any iptables chain name (29 bytes
 * at most), so it cannot be a user chain's.
 */
export function rejectChain(type: string): string {
  return `bpfilter-reject-with-${type}`;
}
