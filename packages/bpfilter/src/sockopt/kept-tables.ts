/**
 * The tables the front end keeps across handler restarts: the last committed snapshot of
 * each table, the order the tables came into use, the handler generation that made them, and
 * a change count for persisters. A restarted handler gets them back in {@link restoreInto}.
 */
import { UmdError, UmdErrorCode } from '@umd/core';
import {
  decodeCountersInfoHeader,
  XT_COUNTERS_INFO_HEADER_SIZE,
  XT_COUNTERS_SIZE,
} from '../abi/table-structs.js';
import { type BpfilterState, readState, stateOf } from './kept-state.js';
import {
  type CounterUpdate,
  captureTable,
  getInfo,
  refreshCounters,
  restoreTable,
  type SendRequest,
  setSnapshotCounters,
  type TableSnapshot,
  withAddedCounters,
} from './table-snapshot.js';
import { inheritZeroGaps } from './zero-gaps.js';

/** The kept tables of one front end. */
export class KeptTables {
  readonly #snapshots = new Map<string, TableSnapshot>();
  readonly #inUse: string[] = [];
  #generation = 0;
  #changes = 0;

  /** Starts from `state` (as {@link exportState} returned it), or empty. */
  constructor(state?: BpfilterState) {
    if (state === undefined) return;
    const { tablesInUse, snapshots } = readState(state);
    for (const name of tablesInUse) this.noteInUse(name);
    for (const snapshot of snapshots) {
      this.#snapshots.set(snapshot.info.name, snapshot);
      this.noteInUse(snapshot.info.name);
    }
  }

  /** The kept snapshot of `table`, if it was ever committed. */
  get(table: string): TableSnapshot | undefined {
    return this.#snapshots.get(table);
  }

  /** Every kept snapshot. */
  all(): TableSnapshot[] {
    return [...this.#snapshots.values()];
  }

  /** Goes back to `snapshot` (a rollback); kept before the handler is told, so a restart gets it. */
  set(snapshot: TableSnapshot): void {
    this.#snapshots.set(snapshot.info.name, snapshot);
  }

  /** Grows with every change other than a classification's counters (see `changeCount`). */
  get changeCount(): number {
    return this.#changes;
  }

  /** The tables and table order, to persist. `snapshots` overrides the kept ones (kernel counters). */
  exportState(snapshots: readonly TableSnapshot[] = this.all()): BpfilterState {
    return stateOf(this.#inUse, snapshots);
  }

  /** Records that `table` is in use (GET_INFO answered, or it changed). */
  noteInUse(table: string): void {
    if (this.#inUse.includes(table)) return;
    this.#inUse.push(table);
    this.#changes++;
  }

  /**
   * After an acknowledged change: read the table back through `send` (only its entries when
   * just counters changed and it is already kept); refuse to acknowledge if the handler that
   * made it is gone.
   */
  async keep(send: SendRequest, table: string, countersOnly: boolean): Promise<void> {
    const generation = this.#generation;
    const kept = this.#snapshots.get(table);
    let snapshot: TableSnapshot;
    try {
      snapshot =
        countersOnly && kept ? await refreshCounters(send, kept) : await captureTable(send, table);
    } catch (error) {
      // A read-back that a new handler answered part of (GET_ENTRIES sized from the old one's
      // GET_INFO: EAGAIN) failed because the handler that made the change is gone.
      if (this.#generation !== generation) throw handlerGone(table, error);
      throw error;
    }
    if (this.#generation !== generation) throw handlerGone(table);
    this.#snapshots.set(table, snapshot);
    this.noteInUse(table);
    this.#changes++;
  }

  /**
   * After an acknowledged SET_REPLACE whose receipt proved the handler holds `snapshot`
   * (answered while `generation` was current, see {@link stampReplies}): keep it. Refused as
   * {@link keep} refuses if the handler that acknowledged it is gone.
   */
  keepReplaced(snapshot: TableSnapshot, generation: number): void {
    const table = snapshot.info.name;
    if (this.#generation !== generation) throw handlerGone(table);
    this.#snapshots.set(table, snapshot);
    this.noteInUse(table);
    this.#changes++;
  }

  /**
   * `send`, and the handler generation current when its reply arrived, for
   * {@link keepReplaced} and {@link keepAddedCounters}: a handler started for the request
   * (after a kill) answers in the new generation; one that answered and then died is gone if
   * the generation moved on before the change is kept.
   */
  stampReplies(send: SendRequest): { send: SendRequest; generation: () => number } {
    let generation = -1;
    return {
      send: (request) =>
        send(request).then((reply) => {
          generation = this.#generation;
          return reply;
        }),
      generation: () => generation,
    };
  }

  /**
   * After an acknowledged SET_ADD_COUNTERS (`request`: its `xt_counters_info`, answered while
   * `generation` was current, see {@link stampReplies}): its counters go into the kept table
   * as the handler added them, without reading the table back. Refused as {@link keep}
   * refuses if the handler that acknowledged it is gone. False (nothing done: read it back)
   * when the table is not kept yet or the request does not hold one counter per kept entry.
   */
  keepAddedCounters(table: string, request: Uint8Array, generation: number): boolean {
    if (this.#generation !== generation) throw handlerGone(table);
    const kept = this.#snapshots.get(table);
    if (kept === undefined || request.length < XT_COUNTERS_INFO_HEADER_SIZE) return false;
    const { numCounters } = decodeCountersInfoHeader(request);
    if (request.length !== XT_COUNTERS_INFO_HEADER_SIZE + numCounters * XT_COUNTERS_SIZE)
      return false;
    let snapshot: TableSnapshot;
    try {
      snapshot = withAddedCounters(kept, request.subarray(XT_COUNTERS_INFO_HEADER_SIZE));
    } catch {
      return false;
    }
    inheritZeroGaps(kept, snapshot);
    this.#snapshots.set(table, snapshot);
    this.#changes++;
    return true;
  }

  /**
   * After a classification: its counters go into the kept table in place (`updates` reads
   * them from the reply; a reply it cannot read is `UMD_PROTOCOL`). The first classification
   * of a table that was never changed reads it once, to keep it.
   */
  async keepClassified(
    send: SendRequest,
    table: string,
    updates: (kept: TableSnapshot) => CounterUpdate[],
  ): Promise<void> {
    const kept = this.#snapshots.get(table);
    if (kept === undefined) return this.keep(send, table, false);
    let counters: CounterUpdate[];
    try {
      counters = updates(kept);
    } catch (cause) {
      throw new UmdError(
        UmdErrorCode.PROTOCOL,
        `bpfilter: classification reply for "${table}": ${(cause as Error).message}`,
        { cause, handlerName: 'bpfilter' },
      );
    }
    setSnapshotCounters(kept, counters);
  }

  /**
   * A new handler took over: changes the previous one made but that were not kept yet are
   * refused (see {@link keep}).
   */
  newGeneration(): void {
    this.#generation++;
  }

  /**
   * Gives a freshly started handler the kept tables, oldest table first; tables only seen in
   * use are brought into use in the same order, so table listings keep their order.
   * Returns the names of the tables restored.
   */
  async restoreInto(send: SendRequest): Promise<string[]> {
    const restored: string[] = [];
    for (const name of this.#inUse) {
      const snapshot = this.#snapshots.get(name);
      if (snapshot === undefined) {
        await getInfo(send, name);
        continue;
      }
      await restoreTable(send, snapshot);
      restored.push(name);
    }
    return restored;
  }
}

function handlerGone(table: string, cause?: unknown): UmdError {
  return new UmdError(
    UmdErrorCode.HANDLER_EXITED,
    `bpfilter: the handler exited before the change to "${table}" was recorded; the change was not applied`,
    { handlerName: 'bpfilter', cause },
  );
}
