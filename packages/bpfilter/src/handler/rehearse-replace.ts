/**
 * `UMD_CMD_REHEARSE_REPLACE`: what restores run in the handler, on a throwaway store. The front
 * end's warm-up checks its table with it, so that V8 has compiled the handler's replace path
 * before an administrator's first restores; with a check alone (`UMD_CMD_CHECK_REPLACE`), V8
 * compiled it during the 2nd to 8th real replace, on the CPU the restore needs (session 22).
 */
import {
  encodeCountersInfo,
  encodeGetEntriesRequest,
  encodeGetinfo,
  IPT_GET_ENTRIES_HEADER_SIZE,
  IPT_REPLACE_HEADER_SIZE,
  IPT_REPLACE_NUM_COUNTERS_OFFSET,
  readCString,
  TABLE_DIGEST_SIZE,
  viewOf,
  XT_TABLE_MAXNAMELEN,
} from '../abi/index.js';
import { callerBuffer, getEntries, getInfo } from './sockopt-get.js';
import { type SetResult, setAddCounters, setReplace } from './sockopt-set.js';
import { type LiveTable, TableStore } from './table-store.js';

/**
 * On a store of its own: the replace of `data` (an `ipt_replace` and its entries) into the
 * table's initial state, then again over that table (what every restore after a first one
 * meets: a table of about its size in use, whose old counters come back and whose rate
 * estimators are looked for), with the receipt, then an add of zero counters to each entry,
 * then GET_INFO and GET_ENTRIES of the result (a first restore's read-back). `store` (the
 * handler's) lends only whether sets are the kernel's, and is not touched. Reply: the digest of
 * the table the rehearsal kept, or the first refusal.
 *
 * The fresh store holds no table but this one, so a RATEEST whose estimator another of the
 * handler's tables holds is checked as if none did (the warm-up table has no RATEEST).
 */
export function rehearseReplace(store: TableStore, data: Uint8Array): SetResult {
  const scratch = new TableStore();
  scratch.kernelSets = store.kernelSets;
  const live =
    data.length >= IPT_REPLACE_HEADER_SIZE
      ? scratch.get(readCString(data, 0, XT_TABLE_MAXNAMELEN - 1))
      : undefined;
  // Without a known table, the replace's own refusal.
  if (live === undefined) return setReplace(scratch, data);
  const first = setReplace(scratch, requestFor(live, data));
  if (first.status !== 0) return first;
  const replaced = setReplace(scratch, requestFor(live, data), true);
  if (replaced.status !== 0 || replaced.body === undefined) return replaced;
  // Zeros for every entry, as iptables-restore sends them (without -c).
  const zeros = new BigUint64Array(2 * live.table.numEntries);
  const added = setAddCounters(scratch, encodeCountersInfo({ name: live.name, counters: zeros }));
  if (added.status !== 0) return added;
  // As the handler's dispatch passes them: the caller's bytes in a buffer of its length.
  const infoRequest = encodeGetinfo({ ...live.table, name: live.name });
  const info = getInfo(scratch, callerBuffer(infoRequest, infoRequest.length));
  if (info.status !== 0) return info;
  const entriesRequest = encodeGetEntriesRequest(live.name, live.table.size);
  const length = IPT_GET_ENTRIES_HEADER_SIZE + live.table.size;
  const entries = getEntries(scratch, callerBuffer(entriesRequest, length));
  if (entries.status !== 0) return entries;
  return { status: 0, body: replaced.body.subarray(replaced.body.length - TABLE_DIGEST_SIZE) };
}

/**
 * A copy of `data` with the entry count of `live` as num_counters, as a client sends it. The
 * copy is a plain Uint8Array, the kind the handler process is sent (umd-core's request
 * payloads): with Buffers here V8's code of `translate` met two kinds of input, and was thrown
 * away and compiled again in the 5th to 8th real restores (session 22, --trace-deopt).
 */
function requestFor(live: LiveTable, data: Uint8Array): Uint8Array {
  const request = new Uint8Array(data);
  viewOf(request).setUint32(IPT_REPLACE_NUM_COUNTERS_OFFSET, live.table.numEntries, true);
  return request;
}
