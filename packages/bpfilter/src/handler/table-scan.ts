/** Facts the checks need from the tables in use (the kernel keeps them in per-netns state). */
import { EntryBlob, readCString, XT_OBJECT_HEADER_SIZE } from '../abi/index.js';
import type { TableStore } from './table-store.js';

/**
 * The rate estimators the `RATEEST` rules of every table in use create, read as they are
 * iterated (a walk of every entry in use: a replace's checks need it only for a `rateest`
 * match or a `RATEEST` target).
 */
export function* rateEstimatorsIn(store: TableStore): Generator<string> {
  for (const tableName of store.names()) {
    const table = store.get(tableName)?.table;
    if (!table) continue;
    const blob = new EntryBlob(table.entries);
    for (const offset of table.offsets) {
      if (blob.targetName(offset) !== 'RATEEST') continue;
      yield readCString(table.entries, blob.targetAt(offset) + XT_OBJECT_HEADER_SIZE, 16);
    }
  }
}
