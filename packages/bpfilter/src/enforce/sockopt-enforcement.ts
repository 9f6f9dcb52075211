/**
 * What the sockopt front end does in enforcement mode, kept out of it: start enforcing the
 * kept tables, read the kernel's counters before a replace (they are part of the old
 * counters iptables adds back), enforce a replaced table, and add the kernel's counters to
 * GET_ENTRIES answers.
 */
import {
  IPT_GET_ENTRIES_HEADER_SIZE,
  readCString,
  readU32,
  XT_TABLE_MAXNAMELEN,
  type XtCounters,
  copyBytes,
} from '../abi/index.js';
import { decodeTable } from '../model/decode.js';
import { timed } from '../sockopt/phase-log.js';
import type { TableSnapshot } from '../sockopt/table-snapshot.js';
import { addToCounters, addToEntries } from './counters.js';
import { compileEarly, type EarlyCompile, sameTable } from './early-compile.js';
import type { EnforcedPlan } from './compile-table.js';
import { type EnforceOptions, NftEnforcer } from './enforcer.js';
import { builtHelper } from './helper-process.js';
import { KernelIpsets } from './kernel-ipsets.js';

/** State carried from before a SET_REPLACE to after it. */
export interface ReplaceTicket {
  /** The table as bpfilter held it before (restored if enforcement refuses the new one). */
  previous: TableSnapshot | undefined;
  /**
   * The kernel's counters of the table being replaced, read while the handler checks the new
   * table (both before the kernel's table changes); awaited before the install.
   */
  kernelBefore: Promise<XtCounters[] | undefined>;
  /** The new table compiled from the request while the handler checks it. */
  early: EarlyCompile | undefined;
}

/** A read of the kernel's counters of `table`, under way. */
export interface KernelCounters {
  table: string;
  counters: Promise<XtCounters[] | undefined>;
}

/**
 * How old a read started at GET_INFO may be when GET_ENTRIES uses it: iptables sends the two
 * a few milliseconds apart; a caller that waits longer gets counters read at its GET_ENTRIES.
 */
export const READ_AHEAD_MS = 100;

/** Enforcement as the front end drives it. */
export class SockoptEnforcement {
  /** The nft back end. */
  readonly enforcer: NftEnforcer;
  /** SO_IP_SET's answers from the kernel; undefined without the helper. */
  readonly ipsets: KernelIpsets | undefined;
  #starting: Promise<void> | undefined;
  /** The read {@link readAhead} started, with the plan it maps through and when it started. */
  #ahead: (KernelCounters & { plan: EnforcedPlan; at: number }) | undefined;

  constructor(options: EnforceOptions = {}) {
    this.enforcer = new NftEnforcer(options);
    const lookup = options.ipsetLookup ?? builtHelper('bpfilter_ipset');
    this.ipsets = lookup === false || lookup === undefined ? undefined : new KernelIpsets(lookup);
  }

  /** Stops the helper processes (idempotent); the kernel keeps enforcing. */
  close(): void {
    this.enforcer.close();
    this.ipsets?.close();
  }

  /** Starts enforcing the kept tables once; a failed start is retried by the next call. */
  ready(kept: () => TableSnapshot[], signal?: AbortSignal): Promise<void> {
    this.#starting ??= this.enforcer
      .start(
        kept().map((s) => decodeTable(s.info.name, s.info, s.entries)),
        signal,
      )
      .catch((error: unknown) => {
        this.#starting = undefined;
        throw error;
      });
    return this.#starting;
  }

  /**
   * Before a SET_REPLACE of `table` (`request`: its `ipt_replace`): starts compiling the new
   * table, then reading the kernel's counters of the table it replaces.
   */
  prepare(previous: TableSnapshot | undefined, table: string, request: Uint8Array): ReplaceTicket {
    // The compile first: the longest step of the replace, and the helper the read wakes can
    // take this thread's core for as long as its read, on a machine with no core to spare.
    const early = compileEarly(request, (t, give) =>
      timed('early compile', () => this.enforcer.compile(t, give)),
    );
    const kernelBefore = timed('old counters', () => this.enforcer.counters(table));
    // Awaited by the install; a refused replace never gets there and drops the read.
    kernelBefore.catch(() => {});
    return { previous, kernelBefore, early };
  }

  /**
   * After bpfilter took `snapshot` (`ticket`: from {@link prepare}): enforce it, with the
   * early compile if it was of this very table (throws EnforcementError if that fails).
   * `fromRequest`: the snapshot was built from the request's own bytes, so it is.
   */
  async commit(snapshot: TableSnapshot, ticket: ReplaceTicket, fromRequest = false): Promise<void> {
    const table = { name: snapshot.info.name, layout: snapshot.info, entries: snapshot.entries };
    const { early } = ticket;
    const same = early !== undefined && (fromRequest || sameTable(early.table, table));
    const compiled = await timed(
      'compile',
      async () => (same ? await early.compiled : undefined) ?? (await this.enforcer.compile(table)),
    );
    await this.enforcer.install(table, compiled);
  }

  /** A replace's old counters (the handler's, `data`) plus the kernel's, in a copy. */
  async oldCounters(data: Uint8Array, ticket: ReplaceTicket): Promise<Uint8Array> {
    const kernel = await ticket.kernelBefore;
    const sum = copyBytes(data);
    if (kernel !== undefined) addToCounters(sum, kernel);
    return sum;
  }

  /**
   * `snapshot` with the kernel's counters of its enforced rules added (a copy): what a
   * restarted service must start from, since it enforces into new nft rules counting from
   * zero. The snapshot itself when the table is not enforced or the kernel cannot be read.
   */
  async withKernelCounters(snapshot: TableSnapshot, signal?: AbortSignal): Promise<TableSnapshot> {
    let kernel: XtCounters[] | undefined;
    try {
      kernel = await this.enforcer.counters(snapshot.info.name, signal);
    } catch {
      // An nft table deleted behind our back: bpfilter's own counters are all that is left.
      return snapshot;
    }
    return kernel === undefined ? snapshot : withCounters(snapshot, kernel);
  }

  /**
   * After a GET_INFO of `table`: starts reading its kernel counters for the GET_ENTRIES that
   * iptables always sends next (libiptc's `TC_INIT`), so that the read runs meanwhile.
   */
  readAhead(table: string): void {
    const plan = this.enforcer.currentPlan(table);
    this.#ahead = plan && { ...this.#read(table), plan, at: performance.now() };
  }

  /**
   * The read of the kernel's counters of the table a GET_ENTRIES request (`ipt_get_entries`)
   * names, for {@link overlayEntries}: the one {@link readAhead} started if it is of that
   * table, under the plan enforced now, and at most {@link READ_AHEAD_MS} old; else a new one.
   */
  readCounters(request: Uint8Array): KernelCounters {
    const table = readCString(request, 0, Math.min(XT_TABLE_MAXNAMELEN, request.length));
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (
      ahead?.table === table &&
      ahead.plan === this.enforcer.currentPlan(table) &&
      performance.now() - ahead.at <= READ_AHEAD_MS
    )
      return ahead;
    return this.#read(table);
  }

  #read(table: string): KernelCounters {
    const counters = this.enforcer.counters(table);
    // Awaited by the overlay; a failed GET_ENTRIES never gets there and drops the read.
    counters.catch(() => {});
    return { table, counters };
  }

  /**
   * Adds the kernel's counters (`kernel`, from {@link readCounters}) to a GET_ENTRIES answer
   * (`ipt_get_entries` + entries), in place; read again if the answer is of another table.
   */
  async overlayEntries(body: Uint8Array, kernel: KernelCounters): Promise<void> {
    if (body.length < IPT_GET_ENTRIES_HEADER_SIZE) return;
    const table = readCString(body, 0, XT_TABLE_MAXNAMELEN);
    const counters = await (table === kernel.table
      ? kernel.counters
      : this.enforcer.counters(table));
    if (counters === undefined) return;
    const size = readU32(body, XT_TABLE_MAXNAMELEN);
    addToEntries(
      body.subarray(IPT_GET_ENTRIES_HEADER_SIZE, IPT_GET_ENTRIES_HEADER_SIZE + size),
      counters,
    );
  }
}

/** `snapshot` with the kernel's counters of its enforced rules (`kernel`) added, in a copy. */
export function withCounters(
  snapshot: TableSnapshot,
  kernel: readonly XtCounters[],
): TableSnapshot {
  const entries = copyBytes(snapshot.entries);
  addToEntries(entries, kernel);
  return { info: snapshot.info, entries };
}
