/** Facts the checks need from the tables in use (the kernel keeps them in per-netns state). */
import {
  IptEntryOffset,
  XT_OBJECT_HEADER_SIZE,
  decodeXtHeader,
  readCString,
  viewOf,
} from '../abi/index.js';
import type { TableStore } from './table-store.js';

/** The rate estimators the `RATEEST` rules of every table in use create. */
export function rateEstimatorsIn(store: TableStore): string[] {
  const names: string[] = [];
  for (const tableName of store.names()) {
    const table = store.get(tableName)?.table;
    if (!table) continue;
    const view = viewOf(table.entries);
    for (const offset of table.offsets) {
      const targetAt = offset + view.getUint16(offset + IptEntryOffset.targetOffset, true);
      if (decodeXtHeader(table.entries, targetAt).name !== 'RATEEST') continue;
      names.push(readCString(table.entries, targetAt + XT_OBJECT_HEADER_SIZE, 16));
    }
  }
  return names;
}
