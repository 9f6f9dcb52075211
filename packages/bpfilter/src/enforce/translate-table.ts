/**
 * A whole iptables table (model form) -> one nftables transaction that replaces the
 * enforced table atomically: `add table` (so the delete cannot fail on a first install),
 * `delete table`, then the table, its chains, its verdict maps and its rules: one rule per
 * iptables entry, except that runs of exact-key rules become one verdict-map lookup with
 * one counting element per rule (group-rules.ts). Also returns where each iptables entry is
 * counted, so counters can be read back.
 */
import { entryLayout } from '../model/layout.js';
import type { Chain, Table } from '../model/types.js';
import { EnforcementError, UntranslatableError } from './errors.js';
import { type GroupOptions, groupChain } from './group-rules.js';
import type { NftExpr } from './nft-expr.js';
import { baseChainSpec, nftTableName } from './nft-layout.js';
import { ruleComment, segmentGuards, verdictMap } from './nft-sets.js';
import { type SegmentOptions, segmentChain } from './segment-rules.js';
import { translateRule } from './translate-rule.js';

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

/** A table ready to enforce. */
export interface NftTablePlan {
  /** The iptables table name. */
  table: string;
  /** The nft table name. */
  nftTable: string;
  /** nft JSON commands after the table's delete-and-add (chains and rules). */
  commands: NftExpr[];
  /** Entries that have an nft counter (rules, policies, user-chain ends). */
  counted: CountedEntry[];
  /** The verdict maps of the table (their elements count rules). */
  maps: string[];
  /** Number of iptables entries in the table. */
  numEntries: number;
}

/**
 * Plans the nft form of `table`.
 * @throws EnforcementError `untranslatable`, naming the chain, rule number and extension.
 */
export function planTable(table: Table, options: GroupOptions & SegmentOptions = {}): NftTablePlan {
  const family = 'ip';
  const nftTable = nftTableName(table.name);
  const layout = entryLayout(table);
  const chains: NftExpr[] = [];
  const maps: NftExpr[] = [];
  const rules: NftExpr[] = [];
  const counted: CountedEntry[] = [];
  const mapNames: string[] = [];
  let numEntries = 0;
  let segments = 0;
  let setCount = 0;
  for (const chain of table.chains) {
    const entries = layout.get(chain.name);
    if (entries === undefined) continue;
    numEntries = Math.max(numEntries, entries.end + 1);
    const spec = chain.policy !== undefined ? baseChainSpec(table.name, chain.name) : undefined;
    if (chain.policy !== undefined && spec === undefined)
      throw new EnforcementError(
        'untranslatable',
        `bpfilter enforcement: table "${table.name}" chain ${chain.name} has no nftables hook`,
        { table: table.name },
      );
    const policy = chain.policy?.toLowerCase();
    chains.push({
      add: {
        chain: spec
          ? { family, table: nftTable, name: chain.name, ...spec, policy }
          : { family, table: nftTable, name: chain.name },
      },
    });
    let rulesInChain = 0;
    /** Adds a rule to `into` (a segment's chain, or this one); its position in this chain. */
    const addRule = (expr: NftExpr[], into = chain.name) => {
      rules.push({ add: { rule: { family, table: nftTable, chain: into, expr } } });
      return into === chain.name ? rulesInChain++ : -1;
    };
    const items = segmentChain(chain.rules, groupChain(chain.rules, options), options);
    for (const item of items) {
      if (item.kind === 'rule') {
        const position = addRule(translateAt(table, chain, item.index));
        counted.push({ entry: entries.rules[item.index] ?? -1, chain: chain.name, position });
      } else if (item.kind === 'segment') {
        const name = segmentChainName(segments++, chain.name);
        chains.push({ add: { chain: { family, table: nftTable, name } } });
        const sets = item.shapes.map(() => `keys${setCount++}`);
        const segment = segmentGuards(nftTable, name, item.shapes, sets);
        maps.push(...segment.commands);
        for (const guard of segment.guards) addRule(guard);
        item.members.forEach(({ index }, at) => {
          addRule(translateAt(table, chain, index), name);
          counted.push({ entry: entries.rules[index] ?? -1, chain: name, position: at });
        });
      } else {
        const name = `vmap${mapNames.length}`;
        mapNames.push(name);
        const group = verdictMap(nftTable, name, item.members);
        maps.push(...group.commands);
        const position = addRule(group.lookup);
        for (const { index } of item.members)
          counted.push({
            entry: entries.rules[index] ?? -1,
            chain: chain.name,
            position,
            element: { map: name, comment: ruleComment(index) },
          });
      }
    }
    // The policy (built-in chain) or the implicit RETURN (user chain) counts what falls off
    // the end, as iptables' underflow and RETURN entries do.
    const end = addRule(policy ? [{ counter: null }, { [policy]: null }] : [{ counter: null }]);
    counted.push({ entry: entries.end, chain: chain.name, position: end });
  }
  // The last entry is the final ERROR entry.
  return {
    table: table.name,
    nftTable,
    commands: [...chains, ...maps, ...rules],
    counted,
    maps: mapNames,
    numEntries: numEntries + 1,
  };
}

/**
 * The chain of a segment: longer than any iptables chain name (29 bytes at most), so it
 * cannot be a user chain's.
 */
function segmentChainName(n: number, chain: string): string {
  return `bpfilter-keyed-rule-segment-${n}-of-${chain}`;
}

function translateAt(table: Table, chain: Chain, index: number): NftExpr[] {
  try {
    return translateRule(chain.rules[index]!).expr;
  } catch (error) {
    if (!(error instanceof UntranslatableError)) throw error;
    throw new EnforcementError(
      'untranslatable',
      `bpfilter enforcement: cannot enforce rule ${index + 1} of chain ${chain.name} in table "${table.name}": ${error.message}`,
      { table: table.name, extension: error.extension, cause: error },
    );
  }
}

/** The transaction that makes the kernel hold exactly `plans` (and deletes `drop` tables). */
export function replaceTransaction(
  plans: readonly NftTablePlan[],
  drop: readonly string[] = [],
): {
  nftables: NftExpr[];
} {
  const family = 'ip';
  const nftables: NftExpr[] = [];
  for (const name of drop) {
    nftables.push({ add: { table: { family, name } } }, { delete: { table: { family, name } } });
  }
  for (const plan of plans) {
    const table = { family, name: plan.nftTable };
    nftables.push({ add: { table } }, { delete: { table } }, { add: { table } }, ...plan.commands);
  }
  return { nftables };
}
