/**
 * A SET_REPLACE in enforcement mode, around the handler's answer: before it, what a failed
 * install must go back to; after the table is kept, its install into the kernel, and on
 * failure the rollback of bpfilter to the previous table (the kernel never changed).
 */
import { isUmdError } from '@umd/core';
import { EnforcementError } from '../enforce/errors.js';
import {
  type ReplaceTicket,
  type SockoptEnforcement,
  withCounters,
} from '../enforce/sockopt-enforcement.js';
import type { KeptTables } from './kept-tables.js';
import {
  captureTable,
  getInfo,
  restoreTable,
  type SendRequest,
  type TableSnapshot,
} from './table-snapshot.js';

/** What both steps use: the enforcement, the kept tables, the way to the handler. */
export interface EnforcedReplace extends HandlerAccess {
  enforcement: SockoptEnforcement;
  kept: KeptTables;
}

/** The way to the handler, and its stop (the next call starts one with the kept tables). */
export interface HandlerAccess {
  send: SendRequest;
  stopHandler: () => Promise<void>;
}

/**
 * Starts enforcing (if not yet), keeps what a failed replace of `table` must go back to and
 * starts compiling the table of `request` (the SET_REPLACE's option bytes).
 */
export async function prepareReplace(
  { enforcement, kept, send }: EnforcedReplace,
  table: string,
  request: Uint8Array,
  signal?: AbortSignal,
): Promise<ReplaceTicket> {
  await enforcement.ready(() => kept.all(), signal);
  let previous = kept.get(table);
  // An unknown table has nothing to go back to; the handler refuses its replace anyway.
  if (previous === undefined && (await getInfo(send, table)).info !== undefined)
    previous = await captureTable(send, table);
  return enforcement.prepare(previous, table, request);
}

/**
 * Installs `snapshot` (by default the kept `table`; `fromRequest`: built from the request's own
 * bytes). If that fails, bpfilter goes back to the previous table and the SET_REPLACE fails with
 * the EnforcementError (a failure of another kind, such as a helper's broken pipe, becomes an
 * `unavailable` one: the caller gets an errno, not an untyped error).
 */
export async function installReplace(
  enforced: EnforcedReplace,
  table: string,
  ticket: ReplaceTicket,
  fromRequest: boolean,
  snapshot = enforced.kept.get(table),
): Promise<void> {
  const { enforcement, kept } = enforced;
  if (snapshot === undefined) return;
  try {
    // The old counters must be read before the kernel's table changes; a read that failed
    // fails the replace.
    await ticket.kernelBefore;
    await enforcement.commit(snapshot, ticket, fromRequest);
  } catch (error) {
    if (ticket.previous !== undefined) {
      // Kept first: a handler that dies during the rollback is restarted with it. The
      // kernel's refusal is the replace's error even if the restore fails (a handler restarted
      // between its GET_INFO and SET_REPLACE refuses the second: EAGAIN).
      kept.set(ticket.previous);
      await handBack(enforced, ticket.previous);
    }
    if (isUmdError(error)) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new EnforcementError('unavailable', `bpfilter enforcement: ${why}`, {
      table,
      cause: error,
    });
  }
}

/** The handler gets `kept` (bpfilter's table) back, or is stopped: a new one gets it. */
export async function handBack(
  { send, stopHandler }: HandlerAccess,
  kept: TableSnapshot,
): Promise<void> {
  try {
    await restoreTable(send, kept);
  } catch {
    await stopHandler();
  }
}

/**
 * After the kernel took a replace that then fails (the handler's receipt was of another table):
 * the previous table enforced again, with the counters the kernel had counted for it until the
 * replace (read before it, into `ticket.kernelBefore`) added to its entries, since its rules
 * are new ones counting from zero. Returns that table, which bpfilter and the handler must hold
 * again; the kernel's refusal (unlikely: it held this table before) is thrown.
 */
export async function reinstallPrevious(
  { enforcement }: EnforcedReplace,
  ticket: ReplaceTicket,
  previous: TableSnapshot,
): Promise<TableSnapshot> {
  const kernel = await ticket.kernelBefore.catch(() => undefined);
  const restored = kernel === undefined ? previous : withCounters(previous, kernel);
  const none = Promise.resolve(undefined);
  await enforcement.commit(restored, { previous: restored, kernelBefore: none, early: undefined });
  return restored;
}
