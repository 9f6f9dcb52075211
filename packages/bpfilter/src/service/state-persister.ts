/**
 * Keeps a service's tables in its state file. A table change is written before its caller
 * gets the reply (so an acknowledged change survives a crash of the whole service); counter
 * updates of classifications, which may come thousands of times a second, are written at
 * most once per `counterFlushMs` and at close. In enforcement mode the kernel's counters are
 * added (a restarted service enforces into new nft rules that count from zero). Writes never
 * overlap: each one writes the state as it is when it starts.
 */
import type { BpfilterSockopt } from '../sockopt/index.js';
import { writeStateFile } from '../sockopt/state-file.js';

/** Options of {@link StatePersister}. */
export interface StatePersisterOptions {
  /** Longest delay before counter updates are written (default 1000 ms). */
  counterFlushMs?: number;
  /** Where a failed background write is reported. */
  log?: (line: string) => void;
}

/** Writes a front end's state to one file, see the module comment. */
export class StatePersister {
  readonly #file: string;
  readonly #sockopt: BpfilterSockopt;
  readonly #flushMs: number;
  readonly #log: (line: string) => void;
  #tail: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #saved: number;
  #dirty = false;

  constructor(file: string, sockopt: BpfilterSockopt, options: StatePersisterOptions = {}) {
    this.#file = file;
    this.#sockopt = sockopt;
    this.#flushMs = options.counterFlushMs ?? 1000;
    this.#log = options.log ?? (() => {});
    // What was loaded is what the file holds.
    this.#saved = sockopt.changeCount;
  }

  /** The front end's `changeCount` when the file was last written. */
  get savedChangeCount(): number {
    return this.#saved;
  }

  /** Writes the state now (after any write under way); rejects if the write fails. */
  saveNow(): Promise<void> {
    this.#cancelTimer();
    this.#dirty = false;
    const write = this.#tail.then(async () => {
      const changes = this.#sockopt.changeCount;
      await writeStateFile(this.#file, await this.#sockopt.exportDurableState());
      this.#saved = Math.max(this.#saved, changes);
    });
    this.#tail = write.catch(() => {});
    return write;
  }

  /** Counters changed: write within `counterFlushMs` (a failure is logged, and retried then). */
  saveSoon(): void {
    this.#dirty = true;
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.saveNow().catch((error: Error) => {
        this.#dirty = true;
        this.#log(`cannot write state file ${this.#file}: ${error.message}`);
      });
    }, this.#flushMs);
    this.#timer.unref();
  }

  /** Writes what is not written yet and stops the timer. Rejects if that last write fails. */
  async close(): Promise<void> {
    // The kernel counts enforced packets without telling us: their counters are written last.
    const pending =
      this.#dirty || this.#sockopt.changeCount !== this.#saved || this.#sockopt.enforcing;
    this.#cancelTimer();
    if (pending) await this.saveNow();
    else await this.#tail;
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
