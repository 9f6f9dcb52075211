/**
 * The kernel's `copy_entries_to_user`: what a GET_ENTRIES writes into the caller's buffer.
 * Shared by the handler (from its live table) and the front end (from the table it keeps),
 * so that both write the same bytes.
 */
import {
  EntryBlob,
  IPT_ENTRY_SIZE,
  XT_EXTENSION_MAXNAMELEN,
  XT_OBJECT_HEADER_SIZE,
  decodeXtHeader,
  readCString,
  readU16,
  xtAlign,
} from '../abi/index.js';
import { copiedSizeOf, dataSizeOf, keptDataOf } from './extensions.js';

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

/**
 * What the kernel writes of a match or target (`xt_data_to_user` and friends): its size, its
 * name up to and with its NUL, its revision, the first {@link copiedDataSize} bytes of its data,
 * then zeros up to {@link zeroedDataSize}; every other byte of it is left as it was.
 * {@link copyObject} writes that; {@link zeroObjectGaps} zeros the rest in place.
 * `known` is how much of its data its extension copies back, if known (`copiedSizeOf`).
 */
function copiedDataSize(known: number | undefined, dataSize: number): number {
  return known === undefined ? dataSize : Math.min(known, dataSize);
}

/** Where the zeros after an object's copied data end; `known` is its data size (`dataSizeOf`). */
function zeroedDataSize(known: number | undefined, dataSize: number): number {
  return known === undefined ? dataSize : Math.min(xtAlign(known), dataSize);
}

/** Writes into `out` what the kernel writes of the object at `pos` (see {@link copiedDataSize}); its size. */
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
  const copied = copiedSizeOf(kind, header.name, header.revision);
  const dataEnd = dataStart + copiedDataSize(copied, dataSize);
  out.set(entries.subarray(dataStart, dataEnd), dataStart);
  keptDataOf(kind, header.name)?.(out.subarray(dataStart, dataEnd), header.revision);
  const known = dataSizeOf(kind, header.name, header.revision);
  out.fill(0, dataEnd, dataStart + zeroedDataSize(known, dataSize));
  return header.size;
}

/**
 * Turns `entries` (entry starts at `offsets`) into what {@link copyEntriesToUser} writes from
 * them into zeros, in place: each name's bytes after its NUL and each extension's data past its
 * known size become zeros, every other byte is already what the kernel writes. Only for entries
 * laid out as iptables writes them (the header, the matches end to end up to the target, the
 * target up to the next entry), where no two of those writes overlap; false, with nothing
 * changed, when an entry is not (copy it into zeros with copyEntriesToUser then). The front end
 * turns a SET_REPLACE's table into the one it keeps so, without a second copy of it.
 */
export function zeroUncopied(entries: Uint8Array, offsets: readonly number[]): boolean {
  const blob = new EntryBlob(entries);
  for (let i = 0; i < offsets.length; i++)
    if (!endToEnd(blob, offsets[i]!, offsets[i + 1] ?? entries.length)) return false;
  for (let i = 0; i < offsets.length; i++) {
    const offset = offsets[i]!;
    const targetAt = blob.targetAt(offset);
    for (let pos = offset + IPT_ENTRY_SIZE; pos < targetAt; )
      pos += zeroObjectGaps(entries, pos, 'match');
    zeroObjectGaps(entries, targetAt, 'target');
  }
  return true;
}

/** Whether the entry from `offset` to `end` is its header, its matches and its target, end to end. */
function endToEnd(blob: EntryBlob, offset: number, end: number): boolean {
  const targetAt = blob.targetAt(offset);
  if (targetAt < offset + IPT_ENTRY_SIZE || targetAt + XT_OBJECT_HEADER_SIZE > end) return false;
  let pos = offset + IPT_ENTRY_SIZE;
  while (pos < targetAt) {
    const size = readU16(blob.bytes, pos);
    if (size < XT_OBJECT_HEADER_SIZE) return false;
    pos += size;
  }
  return pos === targetAt && targetAt + readU16(blob.bytes, targetAt) === end;
}

/**
 * Zeros what the kernel leaves alone of the object at `pos` (zeros in a copy into zeros) or
 * writes as zeros (see {@link copiedDataSize}): its name's field after the NUL, and its data
 * after the copied bytes. Returns its size.
 */
function zeroObjectGaps(entries: Uint8Array, pos: number, kind: 'match' | 'target'): number {
  const size = readU16(entries, pos);
  const nameAt = pos + 2;
  const nameEnd = nameAt + XT_EXTENSION_MAXNAMELEN;
  let nul = nameAt;
  while (nul < nameEnd && entries[nul] !== 0) nul++;
  // A name without a NUL fills its field (the revision byte follows it).
  if (nul < nameEnd) entries.fill(0, nul + 1, nameEnd);
  const name = readCString(entries, nameAt, XT_EXTENSION_MAXNAMELEN);
  const dataSize = size - XT_OBJECT_HEADER_SIZE;
  const revision = entries[pos + 31] ?? 0;
  const copied = copiedDataSize(copiedSizeOf(kind, name, revision), dataSize);
  const dataStart = pos + XT_OBJECT_HEADER_SIZE;
  keptDataOf(kind, name)?.(entries.subarray(dataStart, dataStart + copied), revision);
  if (copied < dataSize) entries.fill(0, dataStart + copied, pos + size);
  return size;
}
