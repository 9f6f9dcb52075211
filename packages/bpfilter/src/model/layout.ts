/**
 * Where each chain's rules sit among a table's entries (entry indices, as counters and
 * SET_ADD_COUNTERS number them), for a table laid out by `encodeTable`.
 */
import type { Table } from './types.js';
import { TABLE_HOOKS } from './tables.js';
import { hookOf } from './tables.js';

/** Entry indices of one chain. */
export interface ChainEntries {
  /** Entry index of each rule, in order. */
  rules: number[];
  /** The policy entry (built-in) or the implicit RETURN entry (user chain). */
  end: number;
  /** The ERROR entry naming a user chain. */
  head?: number;
}

/** Entry indices of every chain of `table`, by chain name (same order rules as encodeTable). */
export function entryLayout(table: Table): Map<string, ChainEntries> {
  const validHooks = TABLE_HOOKS.get(table.name) ?? 0;
  const isBuiltin = (name: string) => {
    const hook = hookOf(name);
    return hook !== undefined && (validHooks & (1 << hook)) !== 0;
  };
  const builtins = table.chains
    .filter((c) => isBuiltin(c.name))
    .sort((a, b) => (hookOf(a.name) ?? 0) - (hookOf(b.name) ?? 0));
  const users = table.chains.filter((c) => !isBuiltin(c.name));
  const out = new Map<string, ChainEntries>();
  let index = 0;
  for (const chain of builtins) {
    const rules = chain.rules.map(() => index++);
    out.set(chain.name, { rules, end: index++ });
  }
  for (const chain of users) {
    const head = index++;
    const rules = chain.rules.map(() => index++);
    out.set(chain.name, { rules, end: index++, head });
  }
  return out;
}
