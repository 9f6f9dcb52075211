/**
 * The compiled form of each live table, made once per SET_REPLACE (the table's generation)
 * and reused by every classification until the next one.
 */
import { decodeTable } from '../model/index.js';
import { type CompiledTable, compileTable } from './classify/index.js';
import type { LiveTable } from './table-store.js';

const compiled = new WeakMap<LiveTable, { generation: number; table: CompiledTable }>();

/** `live` compiled (decoded and compiled on the first classification after a replace). */
export function compiledTableOf(live: LiveTable): CompiledTable {
  const cached = compiled.get(live);
  if (cached && cached.generation === live.generation) return cached.table;
  const table = compileTable(decodeTable(live.name, live.table, live.table.entries));
  compiled.set(live, { generation: live.generation, table });
  return table;
}
