/**
 * One table's whole way from bytes to what the kernel is sent: the entry blob decoded, planned
 * (translate-table.ts) and its replace transaction compiled to netlink messages
 * (netlink-batch.ts), or left as nft JSON when the compiler does not cover it. Pure, so that
 * it can run in the compile worker (compile-worker.ts) as well as on the caller's thread.
 */
import { decodeTable, type TableLayout } from '../model/decode.js';
import type { Table } from '../model/types.js';
import { EnforcementError } from './errors.js';
import { compileBatch, type NetlinkBatch } from './netlink-batch.js';
import { NotCompiled } from './netlink-data.js';
import type { NftExpr } from './nft-expr.js';
import { isEnforceableTable } from './nft-layout.js';
import { type NftTablePlan, planTable, replaceTransaction } from './translate-table.js';

/** A plan without its nft commands: what reading counters back needs once a table is in force. */
export type EnforcedPlan = Omit<NftTablePlan, 'commands'>;

/** A table as entries: its name, hook layout and entry blob (as GET_ENTRIES or SET_REPLACE hold it). */
export interface TableEntries {
  name: string;
  layout: TableLayout;
  entries: Uint8Array;
}

/** A table to compile. */
export interface CompileInput extends TableEntries {
  /** Whether to compile to netlink messages (false: nft JSON only, for `nft -j -f`). */
  netlink: boolean;
}

/** A compiled replace of one table: the netlink batch, or the nft JSON when that is nft's job. */
export interface CompiledTable {
  plan: EnforcedPlan;
  /** The replace transaction as netlink messages (the helper sends them). */
  batch?: NetlinkBatch;
  /** The replace transaction as nft JSON, when there is no batch. */
  transaction?: { nftables: NftExpr[] };
}

/**
 * Plans `table`.
 * @throws EnforcementError `untranslatable` for a table without hooks or a rule nft cannot express.
 */
export function planEnforced(table: Table): NftTablePlan {
  if (!isEnforceableTable(table.name))
    throw new EnforcementError(
      'untranslatable',
      `bpfilter enforcement: no nftables hooks for table "${table.name}"`,
      { table: table.name },
    );
  return planTable(table);
}

/** The replace transaction of `input` (nft JSON), as {@link compileTable} compiles it. */
export function replaceCommands(input: TableEntries): NftExpr[] {
  const plan = planEnforced(decodeEntries(input));
  return replaceTransaction([plan]).nftables;
}

/**
 * Decodes, plans and compiles `input`.
 * @throws EnforcementError `untranslatable`; RangeError for entries that are not a table.
 */
export function compileTable(input: CompileInput): CompiledTable {
  const { commands, ...plan } = planEnforced(decodeEntries(input));
  const transaction = replaceTransaction([{ ...plan, commands }]);
  // The messages of a table take about 1.5 times its entries (the bench's: 1.06 MB for 0.70).
  const capacity = input.entries.length * 2;
  const batch = input.netlink ? tryCompile(transaction.nftables, capacity) : undefined;
  return batch ? { plan, batch } : { plan, transaction };
}

/** The table `input` holds, without its rules' counters (the kernel counts enforced rules). */
function decodeEntries(input: TableEntries): Table {
  return decodeTable(input.name, input.layout, input.entries, { ruleCounters: false });
}

/** The netlink form of `commands`, or undefined when only nft can compile them. */
export function tryCompile(
  commands: readonly NftExpr[],
  capacity?: number,
): NetlinkBatch | undefined {
  try {
    return compileBatch(commands, capacity);
  } catch (error) {
    // A statement outside the compiler, or an attribute past netlink's 64 KiB: nft's job.
    if (error instanceof NotCompiled || error instanceof RangeError) return undefined;
    throw error;
  }
}
