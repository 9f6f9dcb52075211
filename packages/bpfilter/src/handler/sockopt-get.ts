/** The kernel's `do_ipt_get_ctl`: GET_INFO, GET_ENTRIES, GET_REVISION_MATCH/TARGET. */
import {
  Errno,
  IPT_ENTRY_SIZE,
  IPT_GETINFO_SIZE,
  IPT_GET_ENTRIES_HEADER_SIZE,
  EntryBlob,
  XT_GET_REVISION_SIZE,
  XT_OBJECT_HEADER_SIZE,
  XT_TABLE_MAXNAMELEN,
  decodeGetEntriesHeader,
  decodeGetRevision,
  decodeXtHeader,
  encodeGetinfo,
  readCString,
  xtAlign,
} from '../abi/index.js';
import { dataSizeOf, revisionStatus } from './extensions.js';
import type { LiveTable, TableStore } from './table-store.js';

/** A get's outcome: status and the bytes to copy back into the caller's buffer. */
export interface GetResult {
  status: number;
  body?: Uint8Array;
  /** Why it failed (for the handler's log). */
  message?: string;
}

/** The caller's buffer, `len` bytes long; bytes the request did not carry read as zero. */
export function callerBuffer(data: Uint8Array, len: number): Uint8Array {
  const buffer = new Uint8Array(len);
  buffer.set(data.subarray(0, len));
  return buffer;
}

/** `IPT_SO_GET_INFO`. */
export function getInfo(store: TableStore, buffer: Uint8Array): GetResult {
  if (buffer.length !== IPT_GETINFO_SIZE)
    return {
      status: -Errno.EINVAL,
      message: `GET_INFO: length ${buffer.length} != ${IPT_GETINFO_SIZE}`,
    };
  const name = readCString(buffer, 0, XT_TABLE_MAXNAMELEN - 1);
  const live = store.get(name);
  if (!live) return { status: -Errno.ENOENT, message: `GET_INFO: no table "${name}"` };
  const t = live.table;
  return {
    status: 0,
    body: encodeGetinfo({
      name,
      validHooks: t.validHooks,
      hookEntry: t.hookEntry,
      underflow: t.underflow,
      numEntries: t.numEntries,
      size: t.size,
    }),
  };
}

/** `IPT_SO_GET_ENTRIES`: the caller's buffer with the entries written as the kernel writes them. */
export function getEntries(store: TableStore, buffer: Uint8Array): GetResult {
  if (buffer.length < IPT_GET_ENTRIES_HEADER_SIZE)
    return {
      status: -Errno.EINVAL,
      message: `GET_ENTRIES: length ${buffer.length} < ${IPT_GET_ENTRIES_HEADER_SIZE}`,
    };
  const header = decodeGetEntriesHeader(buffer);
  if (buffer.length !== IPT_GET_ENTRIES_HEADER_SIZE + header.size) {
    return {
      status: -Errno.EINVAL,
      message: `GET_ENTRIES: length ${buffer.length} != ${IPT_GET_ENTRIES_HEADER_SIZE} + size ${header.size}`,
    };
  }
  const name = readCString(buffer, 0, XT_TABLE_MAXNAMELEN - 1);
  const live = store.get(name);
  if (!live) return { status: -Errno.ENOENT, message: `GET_ENTRIES: no table "${name}"` };
  if (header.size !== live.table.size)
    return {
      status: -Errno.EAGAIN,
      message: `GET_ENTRIES: size ${header.size} != table size ${live.table.size} (table changed?)`,
    };
  copyEntriesToUser(live, buffer.subarray(IPT_GET_ENTRIES_HEADER_SIZE));
  return { status: 0, body: buffer };
}

/**
 * `copy_entries_to_user`: each entry's 112-byte header with its counters, then per match and
 * target the size, the name up to its NUL, the revision, and the data (for extensions whose
 * size is known, the data then zeros up to the aligned size). Bytes the kernel does not
 * write keep the caller's values.
 */
function copyEntriesToUser(live: LiveTable, out: Uint8Array): void {
  const { entries, offsets } = live.table;
  const source = new EntryBlob(entries);
  const copy = new EntryBlob(out);
  offsets.forEach((offset, i) => {
    out.set(entries.subarray(offset, offset + IPT_ENTRY_SIZE), offset);
    copy.setCounters(offset, live.counters[2 * i] ?? 0n, live.counters[2 * i + 1] ?? 0n);
    const targetAt = source.targetAt(offset);
    let pos = offset + IPT_ENTRY_SIZE;
    while (pos < targetAt) pos += copyObject(entries, out, pos, 'match');
    copyObject(entries, out, targetAt, 'target');
  });
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

/** `IPT_SO_GET_REVISION_MATCH` / `_TARGET`: nothing is copied back; the status is the answer. */
export function getRevision(kind: 'match' | 'target', buffer: Uint8Array): GetResult {
  if (buffer.length !== XT_GET_REVISION_SIZE)
    return {
      status: -Errno.EINVAL,
      message: `GET_REVISION: length ${buffer.length} != ${XT_GET_REVISION_SIZE}`,
    };
  const { name, revision } = decodeGetRevision(buffer);
  return { status: revisionStatus(kind, name, revision) };
}
