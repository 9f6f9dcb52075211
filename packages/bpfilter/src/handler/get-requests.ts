/**
 * How `do_ipt_get_ctl` reads a GET_INFO or GET_ENTRIES request: the exact length, the table
 * named. Shared by the handler and the front end's kept answers, so that both take the same
 * requests as well-formed.
 */
import {
  decodeGetEntriesHeader,
  IPT_GET_ENTRIES_HEADER_SIZE,
  IPT_GETINFO_SIZE,
  readCString,
  XT_TABLE_MAXNAMELEN,
} from '../abi/index.js';

/** A request's table, or why the kernel refuses the request with EINVAL. */
export type TableRequest<T = object> = (T & { name: string }) | { invalid: string };

/** The table a GET_INFO request (`optval` of exactly `ipt_getinfo`'s size) names. */
export function readGetInfoRequest(buffer: Uint8Array): TableRequest {
  if (buffer.length !== IPT_GETINFO_SIZE)
    return { invalid: `GET_INFO: length ${buffer.length} != ${IPT_GETINFO_SIZE}` };
  return { name: readCString(buffer, 0, XT_TABLE_MAXNAMELEN - 1) };
}

/** The table and entry size a GET_ENTRIES request (header, then room for `size` bytes) names. */
export function readGetEntriesRequest(buffer: Uint8Array): TableRequest<{ size: number }> {
  if (buffer.length < IPT_GET_ENTRIES_HEADER_SIZE)
    return { invalid: `GET_ENTRIES: length ${buffer.length} < ${IPT_GET_ENTRIES_HEADER_SIZE}` };
  const { size } = decodeGetEntriesHeader(buffer);
  if (buffer.length !== IPT_GET_ENTRIES_HEADER_SIZE + size)
    return {
      invalid: `GET_ENTRIES: length ${buffer.length} != ${IPT_GET_ENTRIES_HEADER_SIZE} + size ${size}`,
    };
  return { name: readCString(buffer, 0, XT_TABLE_MAXNAMELEN - 1), size };
}
