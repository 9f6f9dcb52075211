/**
 * Per-chain lookups that skip rules a packet cannot match, built once per table. A rule is
 * "keyed" on a field when it requires one value or a few (`-s 10.0.0.0/24`, `--dport 22`,
 * not inverted); a packet with another value there cannot match it. The lookup picks the
 * field that keys the most rules, groups those rules by value, and indexes the rest the
 * same way on the remaining fields. A packet's candidates are the rules keyed on its values
 * merged with the unkeyed rest, in rule order: a superset of the rules it matches, so the
 * walk over them decides exactly as a walk over every rule.
 */
import type { CompiledRule } from './compile.js';
import type { Packet } from './packet.js';

/** Sorted rule indices (0-based) a packet may match. */
export type Lookup = (packet: Packet) => Int32Array;

/** Below this many rules a walk over all of them is as fast as a lookup. */
const MIN_RULES = 16;

interface Field {
  /** The values a rule requires, as keys (undefined: not keyed on this field). */
  keys(rule: CompiledRule): readonly number[] | undefined;
  /** The packet's key under each mask group (addresses) or its one key (ports). */
  packetKey(packet: Packet, mask: number): number;
  /** The mask group of a keyed rule (addresses: its mask; ports: 0). */
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
];

const EMPTY = new Int32Array(0);

/** The lookup of a chain's rules, or null when indexing would not pay. */
export function buildLookup(rules: readonly CompiledRule[]): Lookup | null {
  if (rules.length < MIN_RULES) return null;
  const all = rules.map((_, i) => i);
  const lookup = build(rules, all, FIELDS);
  return typeof lookup === 'function' ? lookup : null;
}

/** A lookup over `subset` (sorted), or the subset itself when no field keys enough of it. */
function build(
  rules: readonly CompiledRule[],
  subset: readonly number[],
  fields: readonly Field[],
): Lookup | Int32Array {
  const constant = Int32Array.from(subset);
  if (subset.length < MIN_RULES || fields.length === 0) return constant;
  let best: Field | undefined;
  let bestKeyed = 0;
  for (const field of fields) {
    const keyed = subset.filter((i) => field.keys(rules[i]!) !== undefined).length;
    if (keyed > bestKeyed) [best, bestKeyed] = [field, keyed];
  }
  // Keying a few rules only adds a merge to every packet.
  if (best === undefined || bestKeyed < subset.length / 4) return constant;
  const field = best;
  // group (mask) -> key -> rule indices, in rule order.
  const groups = new Map<number, Map<number, number[]>>();
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
    }
  }
  const frozen = [...groups].map(
    ([mask, byKey]) =>
      [mask, new Map([...byKey].map(([key, list]) => [key, Int32Array.from(list)]))] as const,
  );
  const sub = build(
    rules,
    rest,
    fields.filter((f) => f !== field),
  );
  const restOf: Lookup = typeof sub === 'function' ? sub : () => sub;
  if (frozen.length === 1) {
    const [mask, byKey] = frozen[0]!;
    return (packet) => merge(byKey.get(field.packetKey(packet, mask)) ?? EMPTY, restOf(packet));
  }
  return (packet) => {
    let out = restOf(packet);
    for (const [mask, byKey] of frozen) {
      const hit = byKey.get(field.packetKey(packet, mask));
      if (hit !== undefined) out = merge(hit, out);
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
