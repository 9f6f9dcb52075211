/**
 * The tables in use and their counters. A table comes into use the first time any request
 * names it (as a kernel instantiates a table in a network namespace); names are listed
 * newest first, like `/proc/net/ip_tables_names`.
 */
import { BUILTIN_TABLES, initialTable } from './builtin-tables.js';
import type { TranslatedTable } from './translate.js';

/** A table in use: its validated entries and one counter pair per entry. */
export interface LiveTable {
  readonly name: string;
  table: TranslatedTable;
  /** `[packets0, bytes0, packets1, bytes1, ...]`, wrapping at 2^64 like the kernel's. */
  counters: BigUint64Array;
  /** Bumped on every replace (lets readers cache a decoded view). */
  generation: number;
}

/** The set of tables in use. */
export class TableStore {
  readonly #tables = new Map<string, LiveTable>();
  readonly #order: string[] = [];
  /**
   * Whether the sets that rules name are the kernel's (`UMD_CMD_KERNEL_SETS`): their indexes
   * are then taken, and the kernel's own check at install refuses a stale one.
   */
  kernelSets = false;
  /** Per table name, the memory of the entries its last replace took out of use. */
  readonly #retired = new Map<string, ArrayBuffer>();
  /** The memory {@link entriesMemory} handed out: only that is ever retired and reused. */
  readonly #handedOut = new WeakSet<ArrayBuffer>();

  /** The table called `name`, instantiating a known one on first use; undefined if unknown. */
  get(name: string): LiveTable | undefined {
    const existing = this.#tables.get(name);
    if (existing) return existing;
    if (!BUILTIN_TABLES.has(name)) return undefined;
    const table = initialTable(name);
    const live: LiveTable = {
      name,
      table,
      counters: new BigUint64Array(table.numEntries * 2),
      generation: 0,
    };
    this.#tables.set(name, live);
    this.#order.unshift(name);
    return live;
  }

  /** Names of the tables in use, newest first. */
  names(): string[] {
    return [...this.#order];
  }

  /**
   * `size` bytes for a replace of table `name` to write its entries into (`TranslateInput.into`):
   * the memory of the entries that the table's last replace took out of use when it is large
   * enough and at most twice as large (a table that shrank does not keep its old size), else
   * fresh memory. A fresh table-sized buffer at each restore cost the handler a page fault per
   * 4 KiB written; the retired one is mapped already. Nothing reads the retired entries: the
   * store dropped them, and a caller that kept a {@link LiveTable}'s `table` keeps its entries
   * only until the second replace after it. Does not bring the table into use.
   */
  entriesMemory(name: string, size: number): Uint8Array {
    const retired = this.#retired.get(name);
    if (retired !== undefined && retired.byteLength >= size && retired.byteLength <= 2 * size)
      return new Uint8Array(retired, 0, size);
    const fresh = new Uint8Array(size);
    this.#handedOut.add(fresh.buffer);
    return fresh;
  }

  /**
   * Swap in a new table atomically; returns the old counters, the pairs themselves (no longer
   * the table's: a replace's reply is written from them, without 10,000 BigInts in between).
   */
  replace(live: LiveTable, table: TranslatedTable): BigUint64Array {
    const old = live.counters;
    const { buffer } = live.table.entries;
    if (buffer instanceof ArrayBuffer && this.#handedOut.has(buffer))
      this.#retired.set(live.name, buffer);
    live.table = table;
    live.counters = new BigUint64Array(table.numEntries * 2);
    live.generation++;
    return old;
  }
}
