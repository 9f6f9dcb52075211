/**
 * The umd CLASSIFY and CLASSIFY_BATCH commands through the front end. A classification
 * changes only counters, and the reply says which and to what: they go into the kept table
 * in place (no read-back). The first classification of a table that was never changed reads
 * it once, to keep it.
 */
import { copyBytes } from '../abi/bytes.js';
import type { UmdManager } from '@umd/mgmt';
import { callerHeader, changeSend } from './handler-requests.js';
import type { KeptTables } from './kept-tables.js';
import type { SockoptCallOptions } from './sockopt-options.js';
import { type CounterUpdate, exchange, type TableSnapshot } from './table-snapshot.js';

/** One classification command: its umd command number, the table, the request body. */
export interface ClassifyCall {
  cmd: number;
  table: string;
  body: Uint8Array;
}

/**
 * Sends `call` to the handler as a change (see {@link changeSend}), keeps the counters its
 * reply reports (`countersOf`), and answers with the handler's status and a copy of its reply.
 * Runs under the front end's lock: nothing else reaches the handler meanwhile.
 */
export async function classifyAndKeep(
  manager: UmdManager,
  kept: KeptTables,
  { cmd, table, body }: ClassifyCall,
  options: SockoptCallOptions,
  countersOf: (reply: Uint8Array, snapshot: TableSnapshot) => CounterUpdate[],
): Promise<{ status: number; body: Uint8Array }> {
  // A reply comes from a handler that holds the kept tables: the old one before its exit
  // was noticed, or a new one after postStart restored them (requests wait for that).
  const reply = await exchange(changeSend(manager, options), {
    isSet: false,
    cmd,
    data: body,
    ...callerHeader(options),
  });
  if (reply.status === 0)
    await kept.keepClassified(
      (request) => manager.request(request),
      table,
      (snapshot) => countersOf(reply.body, snapshot),
    );
  return { status: reply.status, body: copyBytes(reply.body) };
}
