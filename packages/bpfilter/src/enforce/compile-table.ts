/**
 * One table's whole way from bytes to what the kernel is sent: the entry blob laid out
 * (table-layout.ts, each rule read from its entry in place) and its replace transaction
 * written as netlink messages (netlink-table.ts), or as nft JSON (translate-table.ts) when
 * the compiler does not cover it.
 * Pure, so that it can run in the compile worker (compile-worker.ts) as well as on the
 * caller's thread.
 */
import type { Table } from '../model/types.js';
import { EnforcementError, UntranslatableError } from './errors.js';
import { Compat } from './netlink-compat.js';
import { NotCompiled } from './netlink-data.js';
import { compileTransaction, type NetlinkBatch, NotCompiledRule } from './netlink-table.js';
import type { NftExpr } from './nft-expr.js';
import { isEnforceableTable } from './nft-layout.js';
import {
  type EnforcedPlan,
  enforcedPlan,
  layoutEntries,
  layoutTable,
  type TableEntries,
  type TableLayout as NftLayout,
} from './table-layout.js';
import { type PackedPlan, packLayoutPlan } from './plan-transfer.js';
import { CompatOnly } from './refusals.js';
import { planOf, replaceTransaction, translateRuleAt } from './translate-table.js';

export type { EnforcedPlan, TableEntries } from './table-layout.js';

/** A table to compile. */
export interface CompileInput extends TableEntries {
  /** Whether to compile to netlink messages (false: nft JSON only, for `nft -j -f`). */
  netlink: boolean;
  /**
   * Whether the kernel holds bpfilter's table under the table's own name (`ip raw`): a
   * transaction that writes it as `bpfilter_<table>` deletes that one.
   */
  dropPlain?: boolean;
}

/** A compiled replace of one table: the netlink batch, or the nft JSON when that is nft's job. */
export interface CompiledTable {
  plan: EnforcedPlan;
  /** The replace transaction as netlink messages (the helper sends them). */
  batch?: NetlinkBatch;
  /** The replace transaction as nft JSON, when there is no batch. */
  transaction?: { nftables: NftExpr[] };
  /** Whether the transaction deletes the table's plainly-named form (`dropPlain`). */
  dropped: boolean;
  /**
   * The `dropPlain` it was compiled for: its transaction holds for a kernel where bpfilter's
   * table under the plain name is there (true) or not (false), not for the other.
   */
  ownedPlain: boolean;
}

/**
 * Lays out `table` (a model, or a table's entries) for enforcement.
 * @throws EnforcementError `untranslatable` for a table or chain without hooks.
 */
export function layoutEnforced(table: Table | TableEntries): NftLayout {
  if (!isEnforceableTable(table.name))
    throw new EnforcementError(
      'untranslatable',
      `bpfilter enforcement: no nftables hooks for table "${table.name}"`,
      { table: table.name },
    );
  return 'entries' in table ? layoutEntries(table) : layoutTable(table);
}

/**
 * The replace transaction of `input` (nft JSON), as {@link compileTable} compiles it.
 * @throws EnforcementError `untranslatable` for a table without hooks or a rule nft cannot express.
 */
export function replaceCommands(input: TableEntries): NftExpr[] {
  return replaceTransaction([planOf(layoutEnforced(input))]).nftables;
}

/**
 * Lays out and compiles `input`: to netlink messages when asked and the compiler covers
 * every rule, else to nft JSON. `spare`: an earlier batch's memory, for the messages.
 * @throws EnforcementError `untranslatable`; RangeError for entries that are not a table.
 */
export function compileTable(input: CompileInput, spare?: ArrayBuffer): CompiledTable {
  const { planned, ...compiled } = compileParts(input, spare);
  return { plan: enforcedPlan(planned), ...compiled };
}

/** A {@link CompiledTable} whose plan is packed (plan-transfer.ts), as the compile worker sends it. */
export type PackedCompiledTable = Omit<CompiledTable, 'plan'> & { plan: PackedPlan };

/**
 * {@link compileTable}, its plan packed for the compile worker's answer: from the layout's
 * numbers, without an object per counted entry.
 */
export function compilePacked(input: CompileInput, spare?: ArrayBuffer): PackedCompiledTable {
  const { planned, ...compiled } = compileParts(input, spare);
  return { plan: packLayoutPlan(planned), ...compiled };
}

/** {@link compileTable}'s work: the table laid out as compiled (`planned`) and its transaction. */
function compileParts(
  input: CompileInput,
  spare: ArrayBuffer | undefined,
): Omit<CompiledTable, 'plan'> & { planned: NftLayout } {
  const layout = layoutEnforced(input);
  // The messages of a table take about 1.5 times its entries (the bench's: 1.06 MB for 0.70).
  const capacity = input.entries.length * 2;
  // The table's own name, if it was bpfilter's and now is not, goes in the same transaction.
  const drop = input.dropPlain ? [input.name] : [];
  const batch = input.netlink ? tryCompile([layout], drop, capacity, spare) : undefined;
  const ownedPlain = input.dropPlain === true;
  if (batch) {
    const planned = namedAs(layout, batch);
    return { planned, batch, dropped: planned.nftTable !== input.name && ownedPlain, ownedPlain };
  }
  const planned = planOf(layout);
  const transaction = replaceTransaction([planned], drop);
  return { planned, transaction, dropped: ownedPlain, ownedPlain };
}

/**
 * The netlink form of the transaction that installs `tables` and deletes `drop`, or
 * undefined when only nft can compile it (a statement outside the compiler, a rule nft
 * cannot express at all, an attribute past netlink's 64 KiB). Extensions nft has no form for
 * go to nft_compat; if the compiler misses something else in such a table, that goes to
 * nft_compat too, since nft's JSON could not hold the table.
 */
export function tryCompile(
  tables: readonly NftLayout[],
  drop: readonly string[] = [],
  capacity?: number,
  spare?: ArrayBuffer,
): NetlinkBatch | undefined {
  let failed: unknown;
  const attempt = (compat: Compat) => {
    try {
      return compileTransaction(tables, drop, capacity, spare, compat);
    } catch (error) {
      failed = error;
      if (
        error instanceof NotCompiled ||
        error instanceof RangeError ||
        error instanceof UntranslatableError
      )
        return undefined;
      throw error;
    }
  };
  const first = new Compat(false);
  let batch = attempt(first);
  let compat = first;
  if (batch === undefined) {
    compat = new Compat(true);
    batch = attempt(compat);
    if (batch === undefined && failed instanceof NotCompiledRule) refuseCulprit(tables, failed);
    // Without an extension nft has no form for, nft's own statements are kept (nft -j -f).
    if (compat.needed === 0) return undefined;
  }
  // A table holding an extension bound to its name goes under that name, as iptables-nft
  // writes it; its `bpfilter_` form, if any, goes in the same transaction.
  const rename = tables.filter((t) => compat.plain.has(t.table) && t.nftTable !== t.table);
  if (batch === undefined || rename.length === 0) return batch;
  const named = tables.map((t) => (compat.plain.has(t.table) ? { ...t, nftTable: t.table } : t));
  // A plain name in `drop` is bpfilter's table, which the transaction now replaces.
  return tryCompile(named, [...drop, ...rename.map((t) => t.nftTable)], capacity, spare);
}

/**
 * When a rule the netlink batch cannot carry even through nft_compat (`failed`) sits in a
 * table whose nft JSON cannot be written either, because another rule of it needs nft_compat
 * (`-m recent`), refuses the table naming the first rule: nft's refusal would name the
 * nft_compat rule, which is not the reason. Returns when nft's JSON holds the tables, or
 * refuses them for another reason (nft -j -f or that refusal follow).
 * @throws EnforcementError `untranslatable` naming `failed`'s rule.
 */
function refuseCulprit(tables: readonly NftLayout[], failed: NotCompiledRule): void {
  let compatOnly: EnforcementError | undefined;
  for (const table of tables)
    try {
      planOf(table);
    } catch (error) {
      if (!(error instanceof EnforcementError)) throw error;
      if (!(error.cause instanceof CompatOnly)) return;
      compatOnly = error;
      break;
    }
  if (compatOnly === undefined) return;
  const { table, chain, index, reason } = failed;
  const at = /cannot enforce (rule \d+ of chain \S+)/.exec(compatOnly.message)?.[1];
  const beside = `(the table also holds ${compatOnly.extension}${at ? ` in ${at}` : ''}, which only nft_compat runs, so nft's JSON cannot take the table instead)`;
  try {
    translateRuleAt(table, chain, index);
  } catch (error) {
    // nft could not say this rule either: its own reason.
    if (!(error instanceof EnforcementError)) throw error;
    throw new EnforcementError('untranslatable', `${error.message} ${beside}`, {
      table: table.table,
      extension: error.extension,
      cause: error,
    });
  }
  const where = `rule ${index + 1} of chain ${chain.rulesOf ?? chain.name} in table "${table.table}"`;
  throw new EnforcementError(
    'untranslatable',
    `bpfilter enforcement: cannot enforce ${where}: the netlink batch cannot carry it (${reason.message}) ${beside}`,
    { table: table.table, extension: reason.message, cause: reason },
  );
}

/** `layout` under the name the batch compiled it with (`NetlinkBatch.plain`). */
export function namedAs<T extends NftLayout>(layout: T, batch: NetlinkBatch | undefined): T {
  return batch?.plain?.has(layout.table) ? { ...layout, nftTable: layout.table } : layout;
}
