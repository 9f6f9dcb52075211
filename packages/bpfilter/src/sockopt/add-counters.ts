/**
 * A SET_ADD_COUNTERS through the front end: the handler adds the counters, and the front end
 * adds the same to its kept table (no read-back), or reads the table back when it cannot.
 */
import type { UmdManager } from '@umd/mgmt';
import { callerHeader, changeSend } from './handler-requests.js';
import type { KeptTables } from './kept-tables.js';
import { timed } from './phase-log.js';
import type { SockoptCallOptions, SockoptResult } from './sockopt-options.js';
import { exchange } from './table-snapshot.js';

/** Sends `optval` (option `optname`) for `table` and keeps the result before answering. */
export async function addCounters(
  manager: UmdManager,
  kept: KeptTables,
  call: { optname: number; table: string; optval: Uint8Array },
  options: SockoptCallOptions,
): Promise<SockoptResult> {
  const { optname, table, optval } = call;
  const stamped = kept.stampReplies(changeSend(manager, options));
  const { status } = await timed(`handler set ${optname}`, () =>
    exchange(stamped.send, { isSet: true, cmd: optname, data: optval, ...callerHeader(options) }),
  );
  if (status !== 0) return { status };
  // Counters the handler added are added to the kept table here: no read-back.
  if (kept.keepAddedCounters(table, optval, stamped.generation())) return { status };
  await timed('read back', () => kept.keep((request) => manager.request(request), table, true));
  return { status };
}
