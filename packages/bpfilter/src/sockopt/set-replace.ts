/**
 * A SET_REPLACE through the front end: the handler checks and takes the table, the front end
 * keeps what the handler now holds and, in enforcement mode, installs it into the kernel,
 * all before the caller hears 0.
 *
 * A table already kept is replaced with `UMD_CMD_REPLACE`: while the handler checks the
 * request, the front end builds the table the handler will keep from the same bytes
 * (replace-candidate.ts), and the handler's receipt (a digest of the table it took) says
 * whether that is what it holds: no read-back. A receipt of any other table is the handler's
 * fault (`UMD_PROTOCOL`): it gets the kept table back, and nothing changes. A table never
 * kept is read back (GET_INFO + GET_ENTRIES), once.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isUmdError, UmdError, UmdErrorCode } from '@umd/core';
import {
  IPT_SO_SET_REPLACE,
  UMD_CMD_REPLACE,
  XT_COUNTERS_SIZE,
  type XtCounters,
  decodeCounters,
  decodeReplace,
  encodeMboxRequest,
  mboxRequestInPlace,
  copyBytes,
} from '../abi/index.js';
import type { ReplaceTicket } from '../enforce/sockopt-enforcement.js';
import {
  type EnforcedReplace,
  handBack,
  installReplace,
  prepareReplace,
  reinstallPrevious,
} from './enforced-replace.js';
import type { KeptTables } from './kept-tables.js';
import { timed, timedSync } from './phase-log.js';
import { type ReplaceCandidate, receiptCounters, replaceCandidate } from './replace-candidate.js';
import type { SockoptResult } from './sockopt-options.js';
import { exchangeEncoded, type SendRequest, type TableSnapshot } from './table-snapshot.js';

/** What a replace uses of the front end. */
export interface ReplaceContext {
  kept: KeptTables;
  /** Enforcement mode's side of the replace; undefined without enforcement. */
  enforced: EnforcedReplace | undefined;
  /** Sends the change (stopped by the caller's signal only before it is sent). */
  sendChange: SendRequest;
  /** Sends the front end's own requests (read-back, restore). */
  send: SendRequest;
  /** Stops the handler: the next call starts one with the kept tables. */
  stopHandler: () => Promise<void>;
}

/**
 * The caller's `optval`; `inFrame`: it is the option bytes of the caller's request frame
 * (`OPTVAL_IN_FRAME`), sent on to the handler in that memory.
 */
export interface ReplaceRequest {
  optval: Uint8Array;
  inFrame: boolean;
}

/** SET_REPLACE of `table` with the caller's `optval`, under the front end's lock. */
export async function setReplace(
  context: ReplaceContext,
  table: string,
  { optval, inFrame }: ReplaceRequest,
  header: { pid: number; addr: bigint },
  signal?: AbortSignal,
): Promise<SockoptResult> {
  const { kept, enforced } = context;
  const ticket =
    enforced && (await timed('prepare', () => prepareReplace(enforced, table, optval, signal)));
  const previous = kept.get(table);
  const cmd = previous === undefined ? IPT_SO_SET_REPLACE : UMD_CMD_REPLACE;
  const stamped = kept.stampReplies(context.sendChange);
  const fields = { isSet: true, cmd, data: optval, ...header };
  // In the frame, the table is not copied (0.9 MB at 5,000 rules); nothing writes it after.
  const request = (inFrame && mboxRequestInPlace(fields)) || encodeMboxRequest(fields);
  const reply = timed(`handler set ${cmd}`, () => exchangeEncoded(stamped.send, request));
  // Awaited below; a rejection meanwhile must not count as unhandled.
  reply.catch(() => {});
  // Without enforcement, built while the handler checks the table (its request is on its way
  // once this turn ends); with it, while the kernel commits (keptReplace).
  const built =
    previous === undefined || ticket
      ? undefined
      : nextTurn().then(() => timedSync('candidate', () => replaceCandidate(optval)));
  const { status, body } = await reply;
  if (status !== 0) return { status };
  let counters = body;
  if (previous === undefined) {
    await timed('read back', () => kept.keep(context.send, table, false));
    if (enforced && ticket)
      await timed('install', () => installReplace(enforced, table, ticket, false));
  } else {
    const generation = stamped.generation();
    counters = await keptReplace(context, previous, optval, body, generation, built, ticket);
  }
  const data =
    enforced && ticket
      ? await enforced.enforcement.oldCounters(counters, ticket)
      : copyBytes(counters);
  let decoded: XtCounters[] | undefined;
  return {
    status,
    data,
    // Decoded for a caller that reads them (the service sends `data` on as it is).
    get oldCounters() {
      decoded ??= decodeCounters(data, 0, Math.floor(data.length / XT_COUNTERS_SIZE));
      return decoded;
    },
  };
}

/**
 * The rest of the replace of a kept table (`previous`) the handler accepted with `body`: the
 * front end keeps the candidate it builds from the request if the handler's receipt is its
 * digest, and in enforcement mode installs it. Returns the old counters of the receipt.
 *
 * In enforcement mode the install starts first, and the candidate is built once the compile has
 * handed the kernel its batch: until then the compile, the handler's check and the old counters'
 * read want both cores, during the kernel's commit one is free. A receipt of another table then
 * takes the kernel back to the previous table too.
 */
async function keptReplace(
  context: ReplaceContext,
  previous: TableSnapshot,
  optval: Uint8Array,
  body: Uint8Array,
  generation: number,
  built: Promise<ReplaceCandidate | undefined> | undefined,
  ticket: ReplaceTicket | undefined,
): Promise<Uint8Array> {
  const { kept, enforced } = context;
  const table = previous.info.name;
  const requested = ticket?.early && requestedTable(optval);
  if (!enforced || !ticket || !requested) {
    // No kernel to go first (or no table in the request: the receipt cannot be right).
    const candidate = built ? await built : timedSync('candidate', () => replaceCandidate(optval));
    const fromReceipt = receiptCounters(candidate, body);
    if (fromReceipt === undefined || candidate === undefined)
      return refuseReceipt(context, previous);
    kept.keepReplaced(candidate.snapshot, generation);
    if (enforced && ticket)
      await timed('install', () => installReplace(enforced, table, ticket, true));
    return fromReceipt;
  }
  const install = timed('install', () => installReplace(enforced, table, ticket, true, requested));
  install.catch(() => {});
  // Once the compile is done and the install's turns have handed its batch on.
  await ticket.early?.compiled;
  await nextTurn();
  const candidate = timedSync('candidate', () => replaceCandidate(optval));
  const fromReceipt = receiptCounters(candidate, body);
  if (fromReceipt === undefined || candidate === undefined) {
    const note = await undoInstall(context, enforced, ticket, previous, install, candidate);
    return refuseReceipt(context, kept.get(table) ?? previous, note);
  }
  // A failed install has put the previous table back in bpfilter and the handler (and throws
  // here): the candidate must not be kept after it, whichever of the two ended first.
  await install;
  try {
    // A handler gone since it answered fails the replace here, as before the install went first.
    kept.keepReplaced(candidate.snapshot, generation);
  } catch (error) {
    const note = await undoInstall(context, enforced, ticket, previous, install, candidate);
    // The restarted handler got the table kept when it started, and the undo kept another since:
    // the previous one with the kernel's counters added, or the new one the kernel kept.
    await handBack(context, kept.get(table) ?? previous);
    throw note === '' || !isUmdError(error)
      ? error
      : new UmdError(error.code, `${error.message}${note}`, {
          cause: error,
          handlerName: 'bpfilter',
        });
  }
  return fromReceipt;
}

/**
 * After an install that went first and a replace that then failed: the kernel back to
 * `previous`, which bpfilter keeps again with the kernel's counters of it added (its rules are
 * new ones). Nothing to do when the install failed: it put the previous table back itself.
 * If the kernel refused the previous table back, bpfilter keeps the new one (`candidate`, when
 * the request holds a table the handler could take), which the kernel enforces: what bpfilter
 * lists and counts is what is in force. Returns what the replace's error must add then.
 */
async function undoInstall(
  context: ReplaceContext,
  enforced: EnforcedReplace,
  ticket: ReplaceTicket,
  previous: TableSnapshot,
  install: Promise<void>,
  candidate: ReplaceCandidate | undefined,
): Promise<string> {
  const installed = await install.then(
    () => true,
    () => false,
  );
  if (!installed) return '';
  try {
    context.kept.set(await timed('reinstall', () => reinstallPrevious(enforced, ticket, previous)));
    return '';
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (candidate === undefined)
      return `; the kernel refused the previous table back (${why}) and enforces the new one`;
    context.kept.set(candidate.snapshot);
    return `; the kernel refused the previous table back (${why}): the new one is in force, and bpfilter keeps it`;
  }
}

/**
 * The table of a SET_REPLACE request as the install takes it: its header's hooks, counts and
 * size, its entries as sent (a view of the request: the install reads them only while the
 * request is being answered).
 */
function requestedTable(optval: Uint8Array): TableSnapshot {
  const { name, validHooks, hookEntry, underflow, numEntries, size, entries } =
    decodeReplace(optval);
  return { info: { name, validHooks, hookEntry, underflow, numEntries, size }, entries };
}

/**
 * The handler took a table other than the one it was sent (its receipt says so): it gets the
 * kept table back (or is stopped, and a new one gets it), and the replace fails.
 */
async function refuseReceipt(
  context: ReplaceContext,
  kept: TableSnapshot,
  kernelNote = '',
): Promise<never> {
  const { name } = kept.info;
  const error = new UmdError(
    UmdErrorCode.PROTOCOL,
    `bpfilter: the handler acknowledged the SET_REPLACE of "${name}" with the receipt of another table${kernelNote || '; the previous table stays'}`,
    { handlerName: 'bpfilter' },
  );
  await handBack(context, kept);
  throw error;
}
