/**
 * Per-chain lookups that skip rules a packet cannot match, built once per table. A rule is
 * "keyed" on a field when it requires one value or a few (`-s 10.0.0.0/24`, `--dport 22`,
 * `-i eth0`, `-p tcp`, `--tcp-flags SYN,RST SYN`, not inverted); a packet with another value
 * there cannot match it. The lookup picks the field that keys the most rules, groups those
 * rules by value, and indexes each group and the unkeyed rest the same way on the remaining
 * fields (a decision tree). A packet's candidates are the rules of the groups its values
 * select merged with the rest's, in rule order: a superset of the rules it matches, so the
 * walk over them decides exactly as a walk over every rule.
 */
import type { CompiledRule } from './compile.js';
import type { Packet } from './packet.js';

/** Sorted rule indices (0-based) a packet may match. */
export type Lookup = (packet: Packet) => Int32Array;

/** Below this many rules a walk over all of them is as fast as a lookup. */
const MIN_RULES = 16;

/** A value a rule requires: a number, or an interface name. */
type Key = number | string;

interface Field {
  /** The values a rule requires, as keys (undefined: not keyed on this field). */
  keys(rule: CompiledRule): readonly Key[] | undefined;
  /** The packet's key under a mask group (addresses, TCP flags) or its one key (the rest). */
  packetKey(packet: Packet, mask: number): Key;
  /** The mask group of a keyed rule (addresses: its mask; TCP flags: theirs; others: 0). */
  group(rule: CompiledRule): number;
}

const FIELDS: readonly Field[] = [
  {
    keys: (r) => (r.srcMask !== 0 && !r.srcInv ? [r.srcAddr] : undefined),
    packetKey: (p, mask) => p.source & mask,
    group: (r) => r.srcMask,
  },
  {
    keys: (r) => (r.dstMask !== 0 && !r.dstInv ? [r.dstAddr] : undefined),
    packetKey: (p, mask) => p.destination & mask,
    group: (r) => r.dstMask,
  },
  { keys: (r) => r.dports ?? undefined, packetKey: (p) => p.destinationPort, group: () => 0 },
  { keys: (r) => r.sports ?? undefined, packetKey: (p) => p.sourcePort, group: () => 0 },
  {
    keys: (r) => (r.inName === null ? undefined : [r.inName]),
    packetKey: (p) => p.inInterface,
    group: () => 0,
  },
  {
    keys: (r) => (r.outName === null ? undefined : [r.outName]),
    packetKey: (p) => p.outInterface,
    group: () => 0,
  },
  {
    keys: (r) => (r.proto !== 0 && !r.protoInv ? [r.proto] : undefined),
    packetKey: (p) => p.protocol,
    group: () => 0,
  },
  {
    keys: (r) => (r.tcpFlagsMask !== 0 ? [r.tcpFlagsCompare] : undefined),
    packetKey: (p, mask) => p.tcpFlags & mask,
    group: (r) => r.tcpFlagsMask,
  },
];

/**
 * Rule indices the tree of one chain may hold in all, per rule: a rule in several groups
 * (a port range) is copied into each, and again below; past this the groups stay unindexed.
 */
const COPIES_PER_RULE = 8;

/** The lookup of a chain's rules, or null when indexing would not pay. */
export function buildLookup(rules: readonly CompiledRule[]): Lookup | null {
  if (rules.length < MIN_RULES) return null;
  const all = rules.map((_, i) => i);
  const budget = { left: COPIES_PER_RULE * rules.length };
  const lookup = build(rules, all, FIELDS, budget);
  return typeof lookup === 'function' ? lookup : null;
}

/** A lookup over `subset` (sorted), or the subset itself when no field keys enough of it. */
function build(
  rules: readonly CompiledRule[],
  subset: readonly number[],
  fields: readonly Field[],
  budget: { left: number },
): Lookup | Int32Array {
  const constant = Int32Array.from(subset);
  if (subset.length < MIN_RULES || fields.length === 0 || budget.left <= 0) return constant;
  let best: Field | undefined;
  let bestKeyed = 0;
  for (const field of fields) {
    const keyed = subset.filter((i) => field.keys(rules[i]!) !== undefined).length;
    if (keyed > bestKeyed) [best, bestKeyed] = [field, keyed];
  }
  // Keying a few rules only adds a merge to every packet.
  if (best === undefined || bestKeyed < subset.length / 4) return constant;
  const field = best;
  const remaining = fields.filter((f) => f !== field);
  // group (mask) -> key -> rule indices, in rule order.
  const groups = new Map<number, Map<Key, number[]>>();
  const rest: number[] = [];
  for (const i of subset) {
    const keys = field.keys(rules[i]!);
    if (keys === undefined) {
      rest.push(i);
      continue;
    }
    const group = field.group(rules[i]!);
    let byKey = groups.get(group);
    if (!byKey) {
      byKey = new Map();
      groups.set(group, byKey);
    }
    for (const key of new Set(keys)) {
      const list = byKey.get(key);
      if (list) list.push(i);
      else byKey.set(key, [i]);
      budget.left--;
    }
  }
  const lookupOf = (list: readonly number[]): Lookup => {
    const sub = build(rules, list, remaining, budget);
    return typeof sub === 'function' ? sub : () => sub;
  };
  const frozen = [...groups].map(
    ([mask, byKey]) =>
      [mask, new Map([...byKey].map(([key, list]) => [key, lookupOf(list)]))] as const,
  );
  const restOf = lookupOf(rest);
  if (frozen.length === 1) {
    const [mask, byKey] = frozen[0]!;
    return (packet) => {
      const hit = byKey.get(field.packetKey(packet, mask));
      return hit === undefined ? restOf(packet) : merge(hit(packet), restOf(packet));
    };
  }
  return (packet) => {
    let out = restOf(packet);
    for (const [mask, byKey] of frozen) {
      const hit = byKey.get(field.packetKey(packet, mask));
      if (hit !== undefined) out = merge(hit(packet), out);
    }
    return out;
  };
}

/** Union of two sorted index lists (no index is in both: each rule is keyed or not). */
function merge(a: Int32Array, b: Int32Array): Int32Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
