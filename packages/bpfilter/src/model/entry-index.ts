/**
 * Where the entries and chains of a table's entry blob are, found in place: each entry's
 * offset (sizes trusted only as far as they stay in bounds), the built-in chains from each
 * hook entry to its underflow, the user chains (ERROR head, rules, RETURN tail) and the
 * final ERROR entry, as iptables lays a table out (the handler refuses anything else). The
 * model decode (decode.ts) and the enforcement compile (src/enforce) both start here.
 */
import {
  entryIndexOf,
  HOOK_NAMES,
  IPT_ENTRY_SIZE,
  IptEntryOffset,
  NF_INET_NUMHOOKS,
  readErrorName,
  readU16,
  type TableHeader,
  XT_ERROR_TARGET,
  XT_OBJECT_HEADER_SIZE,
  objectName,
  objectRevision,
} from '../abi/index.js';

/** What decoding needs besides the entries: GET_INFO's (or the replace header's) hook data. */
export type TableLayout = Pick<TableHeader, 'validHooks' | 'hookEntry' | 'underflow'>;

/** A built-in chain: its rules are the entries `from` .. `policy - 1`. */
export interface BuiltinRange {
  name: string;
  from: number;
  policy: number;
}

/** A user chain: its rules are the entries `head + 1` .. `tail - 1`. */
export interface UserRange {
  name: string;
  head: number;
  tail: number;
}

/** The entries of a blob, located. */
export interface EntryIndex {
  /** The byte offset of each entry. */
  offsets: number[];
  builtins: BuiltinRange[];
  users: UserRange[];
  /** The user chain whose first entry (after its ERROR head) is at each offset: jump targets. */
  chainAtOffset: Map<number, string>;
}

/** The byte offset of the target of the entry at `offset`. */
export function targetAt(entries: Uint8Array, offset: number): number {
  return offset + readU16(entries, offset + IptEntryOffset.targetOffset);
}

// Read from the header itself (abi/xt-object.ts), by the model's and the compile's walks alike.
export { objectName, objectRevision };

/** The data of the match or target at `offset`, as the model reads it (at most to the blob's end). */
export function objectData(entries: Uint8Array, offset: number): Uint8Array {
  return entries.subarray(offset + 32, offset + Math.max(readU16(entries, offset), 32));
}

/** Locates the entries and chains of `entries`. Throws a RangeError on a blob without this shape. */
export function indexEntries(layout: TableLayout, entries: Uint8Array): EntryIndex {
  const offsets = entryOffsets(entries);
  // A handful of lookups: a search of the offsets, not a Map of every entry.
  const { get } = entryIndexOf(offsets);
  const indexAt = (at: number | undefined) => get(at ?? -1);
  const builtins: BuiltinRange[] = [];
  let next = 0;
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    if (!(layout.validHooks & (1 << h))) continue;
    const from = indexAt(layout.hookEntry[h]);
    const policy = indexAt(layout.underflow[h]);
    if (from === undefined || policy === undefined || policy < from)
      throw new RangeError(`hook ${h}: hook entry/underflow not on entries`);
    builtins.push({ name: HOOK_NAMES[h] ?? '', from, policy });
    next = Math.max(next, policy + 1);
  }
  const isError = (i: number) => {
    const at = offsets[i];
    return at !== undefined && objectName(entries, targetAt(entries, at)) === XT_ERROR_TARGET;
  };
  const users: UserRange[] = [];
  const chainAtOffset = new Map<number, string>();
  const last = offsets.length - 1;
  let i = next;
  while (i < last) {
    if (!isError(i)) throw new RangeError(`entry ${i}: expected the ERROR entry of a user chain`);
    const name = readErrorName(entries, targetAt(entries, offsets[i]!));
    let j = i + 1;
    while (j < last && !isError(j)) j++;
    if (j - 1 <= i) throw new RangeError(`user chain "${name}" has no RETURN entry`);
    users.push({ name, head: i, tail: j - 1 });
    chainAtOffset.set(offsets[i + 1] ?? -1, name);
    i = j;
  }
  return { offsets, builtins, users, chainAtOffset };
}

/** The offset of each entry, its offsets and match sizes checked. */
function entryOffsets(entries: Uint8Array): number[] {
  const out: number[] = [];
  let offset = 0;
  while (offset < entries.length) {
    if (offset + IPT_ENTRY_SIZE > entries.length)
      throw new RangeError(`entry at ${offset}: truncated`);
    const targetOffset = readU16(entries, offset + IptEntryOffset.targetOffset);
    const nextOffset = readU16(entries, offset + IptEntryOffset.nextOffset);
    if (
      nextOffset < IPT_ENTRY_SIZE + XT_OBJECT_HEADER_SIZE ||
      offset + nextOffset > entries.length ||
      targetOffset > nextOffset - XT_OBJECT_HEADER_SIZE
    ) {
      throw new RangeError(`entry at ${offset}: bad offsets`);
    }
    for (let pos = offset + IPT_ENTRY_SIZE; pos < offset + targetOffset; ) {
      const size = readU16(entries, pos);
      if (size < XT_OBJECT_HEADER_SIZE) throw new RangeError(`entry at ${offset}: bad match size`);
      pos += size;
    }
    out.push(offset);
    offset += nextOffset;
  }
  return out;
}
