/** The kernel's `do_ipt_get_ctl`: GET_INFO, GET_ENTRIES, GET_REVISION_MATCH/TARGET. */
import {
  Errno,
  IPT_GET_ENTRIES_HEADER_SIZE,
  XT_GET_REVISION_SIZE,
  decodeGetRevision,
  encodeGetinfo,
} from '../abi/index.js';
import { copyEntriesToUser } from './copy-entries.js';
import { revisionStatus } from './extensions.js';
import { readGetEntriesRequest, readGetInfoRequest } from './get-requests.js';
import type { TableStore } from './table-store.js';

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
  const request = readGetInfoRequest(buffer);
  if ('invalid' in request) return { status: -Errno.EINVAL, message: request.invalid };
  const { name } = request;
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
  const request = readGetEntriesRequest(buffer);
  if ('invalid' in request) return { status: -Errno.EINVAL, message: request.invalid };
  const { name, size } = request;
  const live = store.get(name);
  if (!live) return { status: -Errno.ENOENT, message: `GET_ENTRIES: no table "${name}"` };
  if (size !== live.table.size)
    return {
      status: -Errno.EAGAIN,
      message: `GET_ENTRIES: size ${size} != table size ${live.table.size} (table changed?)`,
    };
  const { entries, offsets } = live.table;
  copyEntriesToUser(entries, offsets, buffer.subarray(IPT_GET_ENTRIES_HEADER_SIZE), live.counters);
  return { status: 0, body: buffer };
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
