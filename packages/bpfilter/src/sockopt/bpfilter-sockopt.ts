/**
 * The bpfilter front end: the kernel's `net/bpfilter/sockopt.c` on top of {@link UmdManager}.
 * Routed socket options become handler requests (kernel `mbox_request` header + option bytes
 * inline); everything else is `-ENOPROTOOPT` so the caller falls back, and nothing starts.
 *
 * Tables outlive the handler: after every acknowledged change (SET_REPLACE, SET_ADD_COUNTERS,
 * a classify that counted packets) the front end keeps the table the handler holds (built from
 * the request on the handler's receipt, or with the counters the reply reports); a
 * restarted handler gets every kept table back in `postStart`, before any request reaches it.
 * GET_INFO and GET_ENTRIES of a kept table are answered from it.
 */
import { EventEmitter } from 'node:events';
import {
  checkObject,
  invalidArgument,
  type RequestOptions,
  showValue,
  UmdError,
  UmdErrorCode,
} from '@umd/core';
import { type HandlerSession, type Loader, UmdManager } from '@umd/mgmt';
import { readCString } from '../abi/bytes.js';
import { IPT_SO_SET_REPLACE, UMD_CMD_CLASSIFY, UMD_CMD_TABLE_NAMES } from '../abi/constants.js';
import { UMD_CMD_CLASSIFY_BATCH } from '../abi/classify-batch.js';
import { decodeTableNames } from '../abi/table-names.js';
import { XT_TABLE_MAXNAMELEN } from '../abi/table-structs.js';
import type { CompiledTable, TableEntries } from '../enforce/compile-table.js';
import { SockoptEnforcement } from '../enforce/sockopt-enforcement.js';
import { addCounters } from './add-counters.js';
import { classifyAndKeep } from './classify-and-keep.js';
import { batchReplyCounters, classifyReplyCounters } from './classify-counters.js';
import { callerHeader, changeSend, checkOptval, readSend } from './handler-requests.js';
import { Errno } from './errno.js';
import { getOption } from './get-option.js';
import { RevisionAnswers } from './revision-answers.js';
import { prepareHandler } from './handler-start.js';
import { isRoutedGet, isRoutedSet } from './routing.js';
import type { BpfilterState } from './kept-state.js';
import { KeptTables } from './kept-tables.js';
import { SerialLock } from './serial-lock.js';
import { type ReplaceContext, setReplace } from './set-replace.js';
import {
  type BpfilterSockoptOptions,
  OPTVAL_IN_FRAME,
  type SockoptCallOptions,
  type SockoptResult,
  sockoptCallOptions,
} from './sockopt-options.js';
import { exchange, type SendRequest } from './table-snapshot.js';
import { warmUp } from './warm-up.js';

export type { BpfilterState } from './kept-state.js';
export type {
  BpfilterSockoptOptions,
  SockoptCallOptions,
  SockoptResult,
} from './sockopt-options.js';

const defaultLoader = async (): Promise<{ default: Loader }> => import('../loader.js');

/**
 * The front end of bpfilter: `setsockopt`/`getsockopt` with the kernel's semantics, one call
 * at a time, and the tables kept across handler restarts.
 *
 * Transport faults (handler killed mid-call, timeout, stop) reject with a {@link UmdError};
 * answers from the handler, good or bad, resolve with a status. A change is acknowledged
 * (status 0) only once the table has been read back and kept; if the handler died before
 * that, the change is reported as failed and a restarted handler holds the previous table.
 *
 * Events: `restore` `{ pid, tables }` after a restarted handler got the kept tables back.
 */
export class BpfilterSockopt extends EventEmitter {
  /** The manager that runs the handler (started lazily by the first routed call). */
  readonly manager: UmdManager;
  readonly #lock = new SerialLock();
  readonly #kept: KeptTables;
  readonly #enforcement: SockoptEnforcement | undefined;
  readonly #revisions = new RevisionAnswers();
  /** Grows with every {@link stop}: a warm-up that began before one ends. */
  #stops = 0;

  constructor(given: BpfilterSockoptOptions = {}) {
    super();
    const options = checkObject<BpfilterSockoptOptions>(given, 'options', 'bpfilter');
    const { enforce } = options;
    // A string such as 'false' must not turn enforcement (nft in this namespace) on.
    if (!(enforce == null || typeof enforce === 'boolean' || typeof enforce === 'object'))
      throw invalidArgument(
        'bpfilter',
        `enforce must be a boolean or enforcement options, got ${showValue(enforce)}`,
      );
    if (enforce) this.#enforcement = new SockoptEnforcement(enforce === true ? {} : enforce);
    this.#kept = new KeptTables(options.state);
    this.manager = new UmdManager({
      ...checkObject<BpfilterSockoptOptions['manager'] & object>(
        options.manager,
        'manager',
        'bpfilter',
      ),
      name: 'bpfilter',
      loader: options.loader ?? defaultLoader,
      postStart: (session) => this.#postStart(session),
    });
  }

  /**
   * `setsockopt(fd, SOL_IP, optname, optval)`. Options other than SET_REPLACE (64) and
   * SET_ADD_COUNTERS (65) answer `-ENOPROTOOPT` without starting anything.
   */
  async setsockopt(
    optname: number,
    optval: Uint8Array,
    given: SockoptCallOptions = {},
  ): Promise<SockoptResult> {
    const options = sockoptCallOptions(given);
    if (!isRoutedSet(optname)) return { status: -Errno.ENOPROTOOPT };
    checkOptval(optval);
    return this.#lock.run(async () => {
      const table = readCString(optval, 0, Math.min(XT_TABLE_MAXNAMELEN, optval.length));
      if (optname === IPT_SO_SET_REPLACE)
        return setReplace(
          this.#replaceContext(options),
          table,
          { optval, inFrame: options[OPTVAL_IN_FRAME] === true },
          callerHeader(options),
          options.signal,
        );
      return addCounters(this.manager, this.#kept, { optname, table, optval }, options);
    }, options.signal);
  }

  /**
   * `getsockopt(fd, SOL_IP, optname, optval)`: `optval` is the caller's buffer as passed in
   * (its length is the option length). Options outside GET_INFO (64) .. GET_REVISION_TARGET (67)
   * answer `-ENOPROTOOPT` without starting anything.
   */
  async getsockopt(
    optname: number,
    optval: Uint8Array,
    given: SockoptCallOptions = {},
  ): Promise<SockoptResult> {
    const options = sockoptCallOptions(given);
    if (!isRoutedGet(optname)) return { status: -Errno.ENOPROTOOPT };
    checkOptval(optval);
    const context = {
      manager: this.manager,
      kept: this.#kept,
      enforcement: this.#enforcement,
      revisions: this.#revisions,
    };
    return this.#lock.run(() => getOption(context, optname, optval, options), options.signal);
  }

  /**
   * Sends the umd-specific CLASSIFY command for `table` (request body as the handler
   * defines it: JSON) and keeps the counters it updated before answering.
   */
  async classify(
    table: string,
    body: Uint8Array,
    given: SockoptCallOptions = {},
  ): Promise<{ status: number; body: Uint8Array }> {
    const options = sockoptCallOptions(given);
    const call = { cmd: UMD_CMD_CLASSIFY, table, body };
    return this.#lock.run(
      () => classifyAndKeep(this.manager, this.#kept, call, options, classifyReplyCounters),
      options.signal,
    );
  }

  /**
   * Sends CLASSIFY_BATCH for `table` (the binary request of `abi/classify-batch.ts`: many
   * packets in one request) and keeps the counters it updated before answering.
   */
  async classifyBatch(
    table: string,
    body: Uint8Array,
    given: SockoptCallOptions = {},
  ): Promise<{ status: number; body: Uint8Array }> {
    const options = sockoptCallOptions(given);
    const call = { cmd: UMD_CMD_CLASSIFY_BATCH, table, body };
    return this.#lock.run(
      () => classifyAndKeep(this.manager, this.#kept, call, options, batchReplyCounters),
      options.signal,
    );
  }

  /** Names of the tables in use, newest first (what `/proc/net/ip_tables_names` lists). */
  async tableNames(given: SockoptCallOptions = {}): Promise<string[]> {
    const options = sockoptCallOptions(given);
    return this.#lock.run(async () => {
      const { status, body } = await exchange(readSend(this.manager, options), {
        isSet: false,
        cmd: UMD_CMD_TABLE_NAMES,
        ...callerHeader(options),
      });
      if (status < 0)
        throw new UmdError(UmdErrorCode.HANDLER_ERROR, `bpfilter: TABLE_NAMES answered ${status}`, {
          handlerCode: status,
        });
      return decodeTableNames(body);
    }, options.signal);
  }

  /** The kept tables and table order, to persist and pass back as `options.state` later. */
  exportState(): BpfilterState {
    return this.#kept.exportState();
  }

  /**
   * The state a restarted service must start from: {@link exportState}, and in enforcement
   * mode with the counters the kernel matched added (the restarted service enforces into new
   * nft rules, which count from zero).
   */
  async exportDurableState(options: RequestOptions = {}): Promise<BpfilterState> {
    const enforcement = this.#enforcement;
    if (enforcement === undefined) return this.exportState();
    return this.#lock.run(async () => {
      const totals = await Promise.all(
        this.#kept.all().map((s) => enforcement.withKernelCounters(s, options.signal)),
      );
      return this.#kept.exportState(totals);
    }, options.signal);
  }

  /**
   * In enforcement mode, installs the kept tables into the kernel now (otherwise the first
   * call does) and deletes `bpfilter_*` nft tables left by an earlier service. Rejects with
   * an `EnforcementError` when nft is missing or refuses. Without enforcement, does nothing.
   */
  async startEnforcement(options: RequestOptions = {}): Promise<void> {
    const enforcement = this.#enforcement;
    if (enforcement === undefined) return;
    await this.#lock.run(
      () => enforcement.ready(() => this.#kept.all(), options.signal),
      options.signal,
    );
  }

  /**
   * Runs a replace's path on a warm-up table `rounds` times (default 8; warm-up.ts says what
   * and why), starting the handler if it is not running. Changes nothing; a call waits for one
   * round at most; ends quietly if the front end is stopped meanwhile.
   * @throws Error if the handler and the front end disagree on the warm-up table.
   */
  warmUp(options: { rounds?: number; signal?: AbortSignal } = {}): Promise<void> {
    const stops = this.#stops;
    const compiler = this.#enforcement?.enforcer;
    const compile = compiler && ((t: TableEntries, give: boolean) => compiler.compile(t, give));
    const exclusive = (round: () => Promise<void>) => this.#lock.run(round, options.signal);
    const runner = { exclusive, stopped: () => this.#stops !== stops };
    const rehearse = compiler && ((c: CompiledTable, e: Uint8Array) => compiler.rehearse(c, e));
    const steps = { send: readSend(this.manager, options), compile, rehearse };
    return warmUp(steps, runner, options.rounds);
  }

  /** Whether this front end enforces its tables in the kernel (enforcement mode, started). */
  get enforcing(): boolean {
    return this.#enforcement?.enforcer.started === true;
  }

  /**
   * Grows by one with every change to what {@link exportState} returns other than counters
   * of a classification: a table replaced or its counters added, a table coming into use.
   * A persister compares it to know when the state must be written before answering.
   */
  get changeCount(): number {
    return this.#kept.changeCount;
  }

  /**
   * Stops the handler (the kept tables stay; the next call starts a handler and restores them)
   * and enforcement's helper processes (the kernel keeps enforcing).
   */
  async stop(options?: { graceMs?: number }): Promise<void> {
    this.#stops++;
    this.#enforcement?.close();
    await this.manager.stop(options);
  }

  /** What a SET_REPLACE uses (set-replace.ts). */
  #replaceContext(options: SockoptCallOptions): ReplaceContext {
    const send: SendRequest = (request) => this.manager.request(request);
    const enforcement = this.#enforcement;
    const stopHandler = () => this.manager.stop();
    return {
      kept: this.#kept,
      enforced: enforcement && { enforcement, kept: this.#kept, send, stopHandler },
      sendChange: changeSend(this.manager, options),
      send,
      stopHandler,
    };
  }

  /** A new handler's preparation (handler-start.ts), then the `restore` event. */
  async #postStart(session: HandlerSession): Promise<void> {
    const kernelSets = this.#enforcement?.ipsets !== undefined;
    const restored = await prepareHandler(session, this.#kept, kernelSets);
    if (restored.length > 0) this.emit('restore', { pid: session.pid, tables: restored });
  }
}
