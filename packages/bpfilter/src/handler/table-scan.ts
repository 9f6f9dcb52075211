/** Facts the checks need from the tables in use (the kernel keeps them in per-netns state). */
import { EntryBlob, readCString, XT_OBJECT_HEADER_SIZE } from '../abi/index.js';
import type { TableStore } from './table-store.js';

/** The rate estimators the `RATEEST` rules of every table in use create. */
export function rateEstimatorsIn(store: TableStore): string[] {
  const names: string[] = [];
  for (const tableName of store.names()) {
    const table = store.get(tableName)?.table;
    if (!table) continue;
    const blob = new EntryBlob(table.entries);
    for (const offset of table.offsets) {
      if (blob.targetName(offset) !== 'RATEEST') continue;
      names.push(readCString(table.entries, blob.targetAt(offset) + XT_OBJECT_HEADER_SIZE, 16));
    }
  }
  return names;
}
