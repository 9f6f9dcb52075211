/**
 * Where each rule of an iptables table (its entries) goes in its nftables table: the chains
 * (base chains at iptables' hooks, user chains, segments' chains), which rules stay one nft
 * rule, which become verdict-map or counted-set elements (group-rules.ts) or a segment behind key sets
 * (segment-rules.ts), their names, and where each iptables entry is counted. Both writers
 * work from it: nft JSON (translate-table.ts, for `nft -j -f`) and netlink messages
 * (netlink-table.ts).
 */
import { VERDICT_ACCEPT, VERDICT_DROP, XT_STANDARD_TARGET, readI32 } from '../abi/index.js';
import { encodeTable } from '../model/encode.js';
import {
  type EntryIndex,
  indexEntries,
  objectName,
  type TableLayout as HookLayout,
  targetAt,
} from '../model/entry-index.js';
import type { Table } from '../model/types.js';
import { CountedList } from './counted-list.js';
import { ruleSplit } from './rule-split.js';
import { EnforcementError } from './errors.js';
import { type GroupOptions, groupChain } from './group-rules.js';
import { type BaseChainSpec, baseChainSpec, nftTableName } from './nft-layout.js';
import type { KeyShape } from './key-shapes.js';
import { rejectTypeOf } from './reject-chains.js';
import { type RuleFacts, readFacts, Target } from './rule-facts.js';
import { type SegmentOptions, type SegmentShape, segmentChain } from './segment-rules.js';

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
  /**
   * How many nft rules from `position` count the entry (default 1): a rule that became
   * several (ct-alternatives.ts) counts the sum of theirs.
   */
  rules?: number;
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
  /** The verdict maps and counted sets of the table (their elements count rules). */
  maps: string[];
  /** Number of iptables entries in the table. */
  numEntries: number;
}

/** One item of a laid-out chain, in installation order (indexes: rules' positions in the chain). */
export type LaidOutItem =
  | { kind: 'rule'; index: number }
  /**
   * A verdict map; a counted set (`set`: its members' keys, then the statements of their one
   * target); a map of the marks they write (`marks`, mark-maps.ts).
   */
  | { kind: 'map' | 'set' | 'marks'; name: string; shape: KeyShape; members: number[] }
  | {
      kind: 'segment';
      /** The segment's chain. */
      chain: string;
      /** The key set of each shape (`sets[i]` for `shapes[i]`). */
      sets: string[];
      shapes: SegmentShape[];
      members: number[];
    };

/** A chain as it is installed. */
export interface ChainLayout {
  name: string;
  /** Hook, priority and type of a built-in chain. */
  spec?: BaseChainSpec;
  /** A built-in chain's policy, as nft names it. */
  policy?: 'accept' | 'drop';
  /** The entry index of the chain's first rule: rule `index` of the chain is entry `first + index`. */
  first: number;
  items: LaidOutItem[];
  /**
   * A built-in chain whose rules are in chain `rulesIn` (no items of its own): one rule
   * jumps there, and the policy's counter follows ({@link needsRulesChain}).
   */
  rulesIn?: string;
  /** The built-in chain whose rules this chain holds (in messages, the chain iptables names). */
  rulesOf?: string;
}

/** A table laid out for nftables, and its rules as the writers read them. */
export interface TableLayout extends EnforcedPlan {
  chains: ChainLayout[];
  /** The ICMP types the maps' REJECT elements reject with (reject-chains.ts), in order of first use. */
  rejectTypes: string[];
  facts: RuleFacts;
}

/** A table's name, hook layout and entry blob (as GET_ENTRIES or SET_REPLACE hold it). */
export interface TableEntries {
  name: string;
  layout: HookLayout;
  entries: Uint8Array;
}

type LayoutOptions = GroupOptions & SegmentOptions;

/**
 * Lays out the table of `model` (encoded as iptables would: the layout reads entries; a
 * built-in chain it lacks is left out).
 * @throws EnforcementError `untranslatable` for a built-in chain without an nftables hook.
 */
export function layoutTable(model: Table, options: LayoutOptions = {}): TableLayout {
  const encoded = encodeTable(model, { partial: true });
  return layoutEntries({ name: model.name, layout: encoded, entries: encoded.entries }, options);
}

/**
 * Lays out the table `input` holds, reading each rule from its entry in place.
 * @throws EnforcementError `untranslatable` for a built-in chain without an nftables hook;
 *   RangeError for entries that are not a table.
 */
export function layoutEntries(input: TableEntries, options: LayoutOptions = {}): TableLayout {
  const { name: table, entries } = input;
  const index = indexEntries(input.layout, entries);
  const ranges: [number, number][] = [
    ...index.builtins.map(({ from, policy }): [number, number] => [from, policy]),
    ...index.users.map(({ head, tail }): [number, number] => [head + 1, tail]),
  ];
  const facts = readFacts(entries, index, ranges);
  const chains: ChainLayout[] = [];
  const counted = new CountedList(index.offsets.length);
  const maps: string[] = [];
  const rejectTypes = new Set<string>();
  let segments = 0;
  let countedSets = 0;
  let sets = 0;
  const addChain = (name: string, first: number, end: number, policy?: 'accept' | 'drop') => {
    const spec = policy !== undefined ? baseChainSpec(table, name) : undefined;
    if (policy !== undefined && spec === undefined)
      throw new EnforcementError(
        'untranslatable',
        `bpfilter enforcement: table "${table}" chain ${name} has no nftables hook`,
        { table },
      );
    const items: LaidOutItem[] = [];
    let position = 0;
    const count = end - first;
    const rulesIn =
      policy !== undefined && needsRulesChain(facts, first, end) ? rulesChainName(name) : undefined;
    const into = rulesIn ?? name;
    const planned = segmentChain(facts, first, groupChain(facts, first, count, options), options);
    for (const item of planned) {
      if (item.kind === 'rule') {
        items.push({ kind: 'rule', index: item.index });
        const entry = first + item.index;
        const { rules } = ruleSplit(entries, facts.offsets[entry]!);
        counted.add(entry, into, position, rules);
        position += rules;
      } else if (item.kind === 'segment') {
        const chain = segmentChainName(segments++, name);
        const names = item.shapes.map(() => `keys${sets++}`);
        const { shapes, members } = item;
        items.push({ kind: 'segment', chain, sets: names, shapes, members });
        // One guard rule per shape in this chain; the members (exact keys, one nft rule
        // each) are the segment chain's rules.
        position += item.shapes.length;
        for (let at = 0; at < members.length; at++) counted.add(first + members[at]!, chain, at);
      } else {
        const kind = item.marks ? 'marks' : item.set ? 'set' : 'map';
        const map =
          kind === 'map'
            ? `vmap${maps.length - countedSets}`
            : `${kind === 'set' ? 'cset' : 'mmap'}${countedSets++}`;
        maps.push(map);
        items.push({ kind, name: map, shape: item.shape, members: item.members });
        for (const index of item.members) {
          if (facts.target[first + index] === Target.reject)
            rejectTypes.add(rejectTypeOf(facts, first + index));
          counted.addElement(first + index, into, position, map, index);
        }
        position++;
      }
    }
    // The policy (built-in chain) or the implicit RETURN (user chain) counts what falls off
    // the end, as iptables' underflow and RETURN entries do.
    if (rulesIn === undefined) {
      counted.add(end, name, position);
      chains.push({ name, spec, policy, first, items });
    } else {
      // The rule after the jump to the rules' chain.
      counted.add(end, name, 1);
      chains.push({ name, spec, policy, first, items: [], rulesIn });
      chains.push({ name: rulesIn, first, items, rulesOf: name });
    }
  };
  for (const { name, from, policy } of index.builtins)
    addChain(name, from, policy, policyOf(entries, index, policy, name));
  for (const { name, head, tail } of index.users) addChain(name, head + 1, tail);
  let countedEntries: CountedEntry[] | undefined;
  const layout: TableLayout = {
    table,
    nftTable: nftTableName(table),
    chains,
    rejectTypes: [...rejectTypes],
    // Made when first read (a copy of the layout, its plan, counters): the compile worker
    // sends the numbers instead (countedOf).
    get counted() {
      countedEntries ??= counted.entries();
      return countedEntries;
    },
    maps,
    // The last entry is the final ERROR entry.
    numEntries: index.offsets.length,
    facts,
  };
  countedLists.set(layout, counted);
  return layout;
}

/** The counted entries of each layout made by {@link layoutEntries}, as numbers. */
const countedLists = new WeakMap<TableLayout, CountedList>();

/**
 * Where the entries of `layout` are counted, as numbers, if it is a layout
 * {@link layoutEntries} made (not a copy, whose `counted` may have been replaced).
 */
export function countedOf(layout: TableLayout): CountedList | undefined {
  return countedLists.get(layout);
}

/** A built-in chain's policy, as nft names it. Throws a RangeError for one not ACCEPT or DROP. */
function policyOf(
  entries: Uint8Array,
  index: EntryIndex,
  entry: number,
  chain: string,
): 'accept' | 'drop' {
  const target = targetAt(entries, index.offsets[entry]!);
  if (objectName(entries, target) === XT_STANDARD_TARGET) {
    const verdict = readI32(entries, target + 32);
    if (verdict === VERDICT_ACCEPT) return 'accept';
    if (verdict === VERDICT_DROP) return 'drop';
  }
  throw new RangeError(`chain ${chain}: the policy entry is not ACCEPT or DROP`);
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
 * Whether built-in chain `first` .. `end` (its entries) needs its rules in a chain of their
 * own, {@link ChainLayout.rulesIn}: it has a goto or a RETURN. iptables counts the policy
 * (its underflow entry) for a packet that RETURNs in the built-in chain, or ends a chain it
 * went to, or RETURNs there; nf_tables applies the policy then without the rest of the base
 * chain, so the rule that counts it would miss those packets. From a chain the base chain
 * jumps to, they return to that rule instead. Only then: the jump costs a packet a rule and
 * its walk one level of nf_tables' jump stack.
 */
function needsRulesChain(facts: RuleFacts, first: number, end: number): boolean {
  for (let i = first; i < end; i++)
    if (facts.target[i] === Target.goto || facts.target[i] === Target.return) return true;
  return false;
}

/** The chain of a built-in chain's rules: longer than any iptables chain name, as below. */
function rulesChainName(chain: string): string {
  return `bpfilter-rules-of-built-in-chain-${chain}`;
}

/**
 * The chain of a segment: longer than any iptables chain name (29 bytes at most), so it
 * cannot be a user chain's.
 */
function segmentChainName(n: number, chain: string): string {
  return `bpfilter-keyed-rule-segment-${n}-of-${chain}`;
}
