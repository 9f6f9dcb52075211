/**
 * A whole iptables table (model form) -> one nftables transaction that replaces the
 * enforced table atomically: `add table` (so the delete cannot fail on a first install),
 * `delete table`, then the table, its chains and one rule per iptables entry. Also returns
 * which nft rule counts for which iptables entry, so counters can be read back.
 */
import { entryLayout } from '../model/layout.js';
import type { Table } from '../model/types.js';
import { EnforcementError, UntranslatableError } from './errors.js';
import type { NftExpr } from './nft-expr.js';
import { baseChainSpec, nftTableName } from './nft-layout.js';
import { translateRule } from './translate-rule.js';

/** Where an iptables entry is counted in nft: chain name and rule position in it. */
export interface CountedEntry {
  /** iptables entry index (as GET_ENTRIES and SET_ADD_COUNTERS number entries). */
  entry: number;
  chain: string;
  /** 0-based position of the rule in the nft chain. */
  position: number;
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
  /** Number of iptables entries in the table. */
  numEntries: number;
}

/**
 * Plans the nft form of `table`.
 * @throws EnforcementError `untranslatable`, naming the chain, rule number and extension.
 */
export function planTable(table: Table): NftTablePlan {
  const family = 'ip';
  const nftTable = nftTableName(table.name);
  const layout = entryLayout(table);
  const commands: NftExpr[] = [];
  const counted: CountedEntry[] = [];
  const rules: NftExpr[] = [];
  let numEntries = 0;
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
    commands.push({
      add: {
        chain: spec
          ? { family, table: nftTable, name: chain.name, ...spec, policy }
          : { family, table: nftTable, name: chain.name },
      },
    });
    chain.rules.forEach((rule, index) => {
      let expr: NftExpr[];
      try {
        expr = translateRule(rule).expr;
      } catch (error) {
        if (!(error instanceof UntranslatableError)) throw error;
        throw new EnforcementError(
          'untranslatable',
          `bpfilter enforcement: cannot enforce rule ${index + 1} of chain ${chain.name} in table "${table.name}": ${error.message}`,
          { table: table.name, extension: error.extension, cause: error },
        );
      }
      rules.push({ add: { rule: { family, table: nftTable, chain: chain.name, expr } } });
      counted.push({ entry: entries.rules[index] ?? -1, chain: chain.name, position: index });
    });
    // The policy (built-in chain) or the implicit RETURN (user chain) counts what falls off
    // the end, as iptables' underflow and RETURN entries do.
    const end: NftExpr[] = policy ? [{ counter: null }, { [policy]: null }] : [{ counter: null }];
    rules.push({ add: { rule: { family, table: nftTable, chain: chain.name, expr: end } } });
    counted.push({ entry: entries.end, chain: chain.name, position: chain.rules.length });
  }
  // The last entry is the final ERROR entry.
  return {
    table: table.name,
    nftTable,
    commands: [...commands, ...rules],
    counted,
    numEntries: numEntries + 1,
  };
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
