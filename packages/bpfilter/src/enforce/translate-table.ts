/**
 * A whole iptables table (model form) -> one nftables transaction that replaces the
 * enforced table atomically: `add table` (so the delete cannot fail on a first install),
 * `delete table`, then the table, its chains, its verdict maps and its rules: one rule per
 * iptables entry (two for some conntrack tests: ct-alternatives.ts), except that runs of exact-key rules become one verdict-map lookup with
 * one counting element per rule, or one counted-set lookup and their target (group-rules.ts). Also returns where each iptables entry is
 * counted, so counters can be read back.
 */
import { decodeRuleAt } from '../model/decode.js';
import type { Table } from '../model/types.js';
import { EnforcementError, UntranslatableError } from './errors.js';
import type { GroupOptions } from './group-rules.js';
import { jumpStatement, type NftExpr } from './nft-expr.js';
import { segmentGuards, verdictMap } from './nft-sets.js';
import { rejectChain } from './reject-chains.js';
import type { RuleFacts } from './rule-facts.js';
import type { SegmentOptions } from './segment-rules.js';
import { type ChainLayout, layoutTable, type TableLayout } from './table-layout.js';
import { REJECT_STATEMENT, translateRule } from './translate-rule.js';

export type { CountedEntry } from './table-layout.js';

/** A table ready to enforce: its layout and the nft JSON of its chains and rules. */
export interface NftTablePlan extends TableLayout {
  /** nft JSON commands after the table's delete-and-add (chains and rules). */
  commands: NftExpr[];
}

/**
 * Plans the nft form of `table`.
 * @throws EnforcementError `untranslatable`, naming the chain, rule number and extension.
 */
export function planTable(table: Table, options: GroupOptions & SegmentOptions = {}): NftTablePlan {
  return planOf(layoutTable(table, options));
}

/**
 * The nft JSON of a laid-out table: its chains, then its maps and sets, then its rules.
 * @throws EnforcementError `untranslatable`, naming the chain, rule number and extension.
 */
export function planOf(layout: TableLayout): NftTablePlan {
  const family = 'ip';
  const { table, nftTable } = layout;
  const chains: NftExpr[] = [];
  const maps: NftExpr[] = [];
  const rules: NftExpr[] = [];
  const { facts } = layout;
  for (const { name, spec, policy, first, items, rulesIn, rulesOf } of layout.chains) {
    chains.push({
      add: {
        chain: spec
          ? { family, table: nftTable, name, ...spec, policy }
          : { family, table: nftTable, name },
      },
    });
    const addRule = (expr: NftExpr[], into = name) => {
      rules.push({ add: { rule: { family, table: nftTable, chain: into, expr } } });
    };
    const translateAt = (index: number) =>
      translateChainRule(table, rulesOf ?? name, facts, first, index);
    for (const item of items) {
      if (item.kind === 'rule') {
        for (const expr of translateAt(item.index)) addRule(expr);
      } else if (item.kind === 'segment') {
        chains.push({ add: { chain: { family, table: nftTable, name: item.chain } } });
        const segment = segmentGuards(nftTable, item.chain, facts, first, item.shapes, item.sets);
        maps.push(...segment.commands);
        for (const guard of segment.guards) addRule(guard);
        for (const index of item.members)
          for (const expr of translateAt(index)) addRule(expr, item.chain);
      } else {
        const group = verdictMap(nftTable, item.name, facts, first, item);
        maps.push(...group.commands);
        // A counted set's rule: its members' target once, the statements after the counter.
        const effect = () => {
          const [statements] = translateAt(item.members[0]!) as [NftExpr[]];
          return statements.slice(statements.findLastIndex((e) => 'counter' in e) + 1);
        };
        addRule(item.kind === 'set' ? [...group.lookup, ...effect()] : group.lookup);
      }
    }
    if (rulesIn !== undefined) addRule([jumpStatement('jump', rulesIn)]);
    addRule(policy ? [{ counter: null }, { [policy]: null }] : [{ counter: null }]);
  }
  for (const type of layout.rejectTypes) {
    const name = rejectChain(type);
    chains.push({ add: { chain: { family, table: nftTable, name } } });
    const expr = [REJECT_STATEMENT[type]!];
    rules.push({ add: { rule: { family, table: nftTable, chain: name, expr } } });
  }
  return { ...layout, commands: [...chains, ...maps, ...rules] };
}

/**
 * The nft JSON of rule `index` of laid-out `chain`, as {@link planOf} writes it.
 * @throws EnforcementError `untranslatable`, naming the chain, rule number and extension.
 */
export function translateRuleAt(
  layout: TableLayout,
  chain: ChainLayout,
  index: number,
): NftExpr[][] {
  return translateChainRule(
    layout.table,
    chain.rulesOf ?? chain.name,
    layout.facts,
    chain.first,
    index,
  );
}

/**
 * The nft JSON of rule `index` of `chain` (entry `first + index`), decoded from its entry:
 * the statements of each nft rule it becomes.
 */
function translateChainRule(
  table: string,
  chain: string,
  facts: RuleFacts,
  first: number,
  index: number,
): NftExpr[][] {
  const entry = first + index;
  const rule = decodeRuleAt(
    facts.bytes,
    facts.offsets[entry]!,
    facts.chainAtOffset,
    `entry ${entry}`,
  );
  try {
    return translateRule(rule).rules;
  } catch (error) {
    if (!(error instanceof UntranslatableError)) throw error;
    throw new EnforcementError(
      'untranslatable',
      `bpfilter enforcement: cannot enforce rule ${index + 1} of chain ${chain} in table "${table}": ${error.message}`,
      { table, extension: error.extension, cause: error },
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
