/**
 * The kernel's `copy_entries_to_user`: what a GET_ENTRIES writes into the caller's buffer.
 * Shared by the handler (from its live table) and the front end (from the table it keeps),
 * so that both write the same bytes.
 */
import {
  EntryBlob,
  IPT_ENTRY_SIZE,
  XT_OBJECT_HEADER_SIZE,
  decodeXtHeader,
  xtAlign,
} from '../abi/index.js';
import { dataSizeOf } from './extensions.js';

/**
 * Writes `entries` (entry starts at `offsets`) into `out` as the kernel does: each entry's
 * 112-byte header with its counters, then per match and target the size, the name up to its
 * NUL, the revision, and the data (for extensions whose size is known, the data then zeros up
 * to the aligned size). Bytes the kernel does not write keep the caller's values. `counters`
 * (packets and bytes of entry i at 2i and 2i + 1) replace the headers' own when given.
 */
export function copyEntriesToUser(
  entries: Uint8Array,
  offsets: readonly number[],
  out: Uint8Array,
  counters?: ArrayLike<bigint>,
): void {
  const source = new EntryBlob(entries);
  const copy = new EntryBlob(out);
  // A loop, not forEach: V8 made machine code of a forEach callback here again at every
  // table the front end copied (one call per replace), a new compile each time (its cost: the
  // docs' enforcement history, "Warming up").
  for (let i = 0; i < offsets.length; i++) {
    const offset = offsets[i]!;
    out.set(entries.subarray(offset, offset + IPT_ENTRY_SIZE), offset);
    if (counters !== undefined)
      copy.setCounters(offset, counters[2 * i] ?? 0n, counters[2 * i + 1] ?? 0n);
    const targetAt = source.targetAt(offset);
    let pos = offset + IPT_ENTRY_SIZE;
    while (pos < targetAt) {
      const size = copyObject(entries, out, pos, 'match');
      // The front end copies a request's table before the handler checked it (replace-candidate.ts).
      if (size < XT_OBJECT_HEADER_SIZE)
        throw new RangeError(`entry at ${offset}: match size ${size}`);
      pos += size;
    }
    copyObject(entries, out, targetAt, 'target');
  }
}

function copyObject(
  entries: Uint8Array,
  out: Uint8Array,
  pos: number,
  kind: 'match' | 'target',
): number {
  const header = decodeXtHeader(entries, pos);
  out[pos] = header.size & 0xff;
  out[pos + 1] = header.size >> 8;
  for (let i = 0; i < header.name.length; i++) out[pos + 2 + i] = header.name.charCodeAt(i);
  out[pos + 2 + header.name.length] = 0;
  out[pos + 31] = header.revision;
  const dataStart = pos + XT_OBJECT_HEADER_SIZE;
  const dataSize = header.size - XT_OBJECT_HEADER_SIZE;
  const known = dataSizeOf(kind, header.name, header.revision);
  const userSize = known === undefined ? dataSize : Math.min(known, dataSize);
  out.set(entries.subarray(dataStart, dataStart + userSize), dataStart);
  if (known !== undefined)
    out.fill(0, dataStart + userSize, dataStart + Math.min(xtAlign(known), dataSize));
  return header.size;
}
