/**
 * GET_INFO and GET_ENTRIES answered from the kept tables, without a round trip to the handler.
 * The kept snapshot of a table is what the handler holds, at every point where the front end
 * takes a request (all run one at a time): it is built from each acknowledged SET_REPLACE on
 * the handler's receipt (or read back, the first time), the counters of each SET_ADD_COUNTERS
 * and classification go into it as the handler added them, a change the front end could not keep is refused (its handler is
 * replaced, and a new handler gets the kept tables, checked byte for byte by `restoreTable`).
 * A request the kept table cannot answer exactly as the handler would (no such table kept, a
 * malformed request, a size that is not the table's) goes to the handler, for its errno.
 */
import {
  encodeGetinfo,
  IPT_GET_ENTRIES_HEADER_SIZE,
  IPT_SO_GET_ENTRIES,
  IPT_SO_GET_INFO,
  copyBytes,
} from '../abi/index.js';
import { copyEntriesToUser } from '../handler/copy-entries.js';
import { readGetEntriesRequest, readGetInfoRequest } from '../handler/get-requests.js';
import { snapshotOffsets, type TableSnapshot } from './table-snapshot.js';
import { hasZeroGaps, isAllZero } from './zero-gaps.js';

/**
 * The answer (status 0) the handler would give to GET_INFO or GET_ENTRIES `optname` with the
 * caller's buffer `optval`, from `kept` (the kept snapshot of a table by name); undefined
 * when only the handler can answer.
 */
export function keptAnswer(
  optname: number,
  optval: Uint8Array,
  kept: (table: string) => TableSnapshot | undefined,
): Uint8Array | undefined {
  if (optname === IPT_SO_GET_INFO) {
    const request = readGetInfoRequest(optval);
    const snapshot = 'invalid' in request ? undefined : kept(request.name);
    return snapshot && encodeGetinfo(snapshot.info);
  }
  if (optname !== IPT_SO_GET_ENTRIES) return undefined;
  const request = readGetEntriesRequest(optval);
  if ('invalid' in request) return undefined;
  const snapshot = kept(request.name);
  if (snapshot === undefined || snapshot.info.size !== request.size) return undefined;
  const answer = copyBytes(optval);
  const out = answer.subarray(IPT_GET_ENTRIES_HEADER_SIZE);
  // A caller's buffer of zeros (iptables') and a table whose untouched bytes are zeros: the
  // bytes copy_entries_to_user would write are the table's own (zero-gaps.ts).
  if (isAllZero(out) && hasZeroGaps(snapshot)) out.set(snapshot.entries);
  // The snapshot is GET_ENTRIES' own output: copied again, it writes the same bytes.
  else copyEntriesToUser(snapshot.entries, snapshotOffsets(snapshot), out);
  return answer;
}
