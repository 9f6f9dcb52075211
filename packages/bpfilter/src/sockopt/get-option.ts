/**
 * A GETSOCKOPT through the front end: a kept table answers as its handler would (kept-answers.ts
 * says why), anything else goes to the handler; in enforcement mode the kernel's counters are
 * added to GET_ENTRIES, GET_INFO starts reading them for the GET_ENTRIES that follows, and
 * SO_IP_SET is the kernel's to answer (the sets a rule names are the kernel's).
 */
import type { UmdManager } from '@umd/mgmt';
import { readCString } from '../abi/bytes.js';
import { IPT_SO_GET_ENTRIES, IPT_SO_GET_INFO } from '../abi/constants.js';
import { XT_TABLE_MAXNAMELEN } from '../abi/table-structs.js';
import type { SockoptEnforcement } from '../enforce/sockopt-enforcement.js';
import { callerHeader, readSend } from './handler-requests.js';
import { keptAnswer } from './kept-answers.js';
import type { KeptTables } from './kept-tables.js';
import { timed } from './phase-log.js';
import type { RevisionAnswers } from './revision-answers.js';
import { SO_IP_SET } from './routing.js';
import type { SockoptCallOptions, SockoptResult } from './sockopt-options.js';
import { exchange } from './table-snapshot.js';

/** What a get uses of the front end. */
export interface GetContext {
  manager: UmdManager;
  kept: KeptTables;
  /** Undefined without enforcement. */
  enforcement: SockoptEnforcement | undefined;
  /** What the running handler answered to revision queries. */
  revisions: RevisionAnswers;
}

/**
 * Answers a routed `getsockopt` (`optval` is the caller's buffer as passed in). Runs under the
 * front end's lock.
 */
export async function getOption(
  { manager, kept: keptTables, enforcement, revisions }: GetContext,
  optname: number,
  optval: Uint8Array,
  options: SockoptCallOptions,
): Promise<SockoptResult> {
  const ipsets = optname === SO_IP_SET ? enforcement?.ipsets : undefined;
  if (ipsets !== undefined) {
    const { status, body } = await timed('kernel ipset', () =>
      ipsets.query(optval, options.signal),
    );
    return status < 0 ? { status } : { status, data: body };
  }
  await enforcement?.ready(() => keptTables.all(), options.signal);
  const revision = revisions.get(manager.pid, optname, optval);
  if (revision !== undefined) return revision;
  // The kernel's counters are read while the answer is written (another process); GET_INFO
  // starts the read for the GET_ENTRIES that follows it.
  const kernel = optname === IPT_SO_GET_ENTRIES ? enforcement?.readCounters(optval) : undefined;
  const kept = keptAnswer(optname, optval, (table) => keptTables.get(table));
  const { status, body } = kept
    ? { status: 0, body: kept }
    : await timed(`handler get ${optname}`, () =>
        exchange(readSend(manager, options), {
          isSet: false,
          cmd: optname,
          data: optval,
          ...callerHeader(options),
        }),
      );
  if (status === 0 && optname === IPT_SO_GET_INFO && body.length >= XT_TABLE_MAXNAMELEN) {
    const name = readCString(body, 0, XT_TABLE_MAXNAMELEN);
    keptTables.noteInUse(name);
    enforcement?.readAhead(name);
  }
  if (status < 0) {
    revisions.set(manager.pid, optname, optval, { status });
    return { status };
  }
  // A kept answer is already a private copy of the caller's buffer; a handler's is sliced.
  const data = kept ?? body.slice(0, optval.length);
  revisions.set(manager.pid, optname, optval, { status, data });
  if (kernel !== undefined)
    await timed('kernel counters', () => enforcement!.overlayEntries(data, kernel));
  return { status, data };
}
