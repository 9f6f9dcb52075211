/**
 * Where each rule of an iptables table (model form) goes in its nftables table: the chains
 * (base chains at iptables' hooks, user chains, segments' chains), which rules stay one nft
 * rule, which become verdict-map elements (group-rules.ts) or a segment behind key sets
 * (segment-rules.ts), their names, and where each iptables entry is counted. Both writers
 * work from it: nft JSON (translate-table.ts, for `nft -j -f`) and netlink messages
 * (netlink-table.ts).
 */
import { entryLayout } from '../model/layout.js';
import type { Rule, Table } from '../model/types.js';
import { EnforcementError } from './errors.js';
import { type GroupOptions, groupChain } from './group-rules.js';
import { type BaseChainSpec, baseChainSpec, nftTableName } from './nft-layout.js';
import { ruleComment } from './nft-sets.js';
import type { ExactKey } from './rule-shape.js';
import {
  type SegmentMember,
  type SegmentOptions,
  type SegmentShape,
  segmentChain,
} from './segment-rules.js';

/**
 * Where an iptables entry is counted in nft: the counter of the rule at `position` of
 * `chain`, or, for a rule that became a verdict-map element, that element's counter (the
 * rule at `position` is then the map lookup).
 */
export interface CountedEntry {
  /** iptables entry index (as GET_ENTRIES and SET_ADD_COUNTERS number entries). */
  entry: number;
  chain: string;
  /** 0-based position of the rule in the nft chain. */
  position: number;
  /** The map element that counts the entry: the map's name and the element's comment. */
  element?: { map: string; comment: string };
}

/** What reading an enforced table's counters back needs. */
export interface EnforcedPlan {
  /** The iptables table name. */
  table: string;
  /** The nft table name. */
  nftTable: string;
  /** Entries that have an nft counter (rules, policies, user-chain ends). */
  counted: CountedEntry[];
  /** The verdict maps of the table (their elements count rules). */
  maps: string[];
  /** Number of iptables entries in the table. */
  numEntries: number;
}

/** One item of a laid-out chain, in installation order. */
export type LaidOutItem =
  | { kind: 'rule'; index: number }
  | { kind: 'map'; name: string; members: { index: number; key: ExactKey }[] }
  | {
      kind: 'segment';
      /** The segment's chain. */
      chain: string;
      /** The key set of each shape (`sets[i]` for `shapes[i]`). */
      sets: string[];
      shapes: SegmentShape[];
      members: SegmentMember[];
    };

/** A chain as it is installed. */
export interface ChainLayout {
  name: string;
  /** Hook, priority and type of a built-in chain. */
  spec?: BaseChainSpec;
  /** A built-in chain's policy, as nft names it. */
  policy?: 'accept' | 'drop';
  /** The chain's rules (the items' indexes point here). */
  rules: readonly Rule[];
  items: LaidOutItem[];
}

/** A table laid out for nftables. */
export interface TableLayout extends EnforcedPlan {
  chains: ChainLayout[];
}

/**
 * Lays out `table`.
 * @throws EnforcementError `untranslatable` for a built-in chain without an nftables hook.
 */
export function layoutTable(
  table: Table,
  options: GroupOptions & SegmentOptions = {},
): TableLayout {
  const entriesOf = entryLayout(table);
  const chains: ChainLayout[] = [];
  const counted: CountedEntry[] = [];
  const maps: string[] = [];
  let numEntries = 0;
  let segments = 0;
  let sets = 0;
  for (const chain of table.chains) {
    const entries = entriesOf.get(chain.name);
    if (entries === undefined) continue;
    numEntries = Math.max(numEntries, entries.end + 1);
    const spec = chain.policy !== undefined ? baseChainSpec(table.name, chain.name) : undefined;
    if (chain.policy !== undefined && spec === undefined)
      throw new EnforcementError(
        'untranslatable',
        `bpfilter enforcement: table "${table.name}" chain ${chain.name} has no nftables hook`,
        { table: table.name },
      );
    const items: LaidOutItem[] = [];
    const entry = (index: number) => entries.rules[index] ?? -1;
    let position = 0;
    const planned = segmentChain(chain.rules, groupChain(chain.rules, options), options);
    for (const item of planned) {
      if (item.kind === 'rule') {
        items.push({ kind: 'rule', index: item.index });
        counted.push({ entry: entry(item.index), chain: chain.name, position: position++ });
      } else if (item.kind === 'segment') {
        const name = segmentChainName(segments++, chain.name);
        const names = item.shapes.map(() => `keys${sets++}`);
        const { shapes, members } = item;
        items.push({ kind: 'segment', chain: name, sets: names, shapes, members });
        // One guard rule per shape in this chain; the members are the segment chain's rules.
        position += item.shapes.length;
        item.members.forEach(({ index }, at) => {
          counted.push({ entry: entry(index), chain: name, position: at });
        });
      } else {
        const name = `vmap${maps.length}`;
        maps.push(name);
        items.push({ kind: 'map', name, members: item.members });
        for (const { index } of item.members)
          counted.push({
            entry: entry(index),
            chain: chain.name,
            position,
            element: { map: name, comment: ruleComment(index) },
          });
        position++;
      }
    }
    // The policy (built-in chain) or the implicit RETURN (user chain) counts what falls off
    // the end, as iptables' underflow and RETURN entries do.
    counted.push({ entry: entries.end, chain: chain.name, position });
    const policy =
      chain.policy === 'ACCEPT' ? 'accept' : chain.policy === 'DROP' ? 'drop' : undefined;
    chains.push({ name: chain.name, spec, policy, rules: chain.rules, items });
  }
  // The last entry is the final ERROR entry.
  return {
    table: table.name,
    nftTable: nftTableName(table.name),
    chains,
    counted,
    maps,
    numEntries: numEntries + 1,
  };
}

/** What counters need of `layout` (without its chains and rules). */
export function enforcedPlan({
  table,
  nftTable,
  counted,
  maps,
  numEntries,
}: EnforcedPlan): EnforcedPlan {
  return { table, nftTable, counted, maps, numEntries };
}

/**
 * The chain of a segment: longer than any iptables chain name (29 bytes at most), so it
 * cannot be a user chain's.
 */
function segmentChainName(n: number, chain: string): string {
  return `bpfilter-keyed-rule-segment-${n}-of-${chain}`;
}
