/** At most `maxStarts` handler starts within `windowMs`. */
export interface RestartBudgetOptions {
  /** Starts allowed within the window (the first start counts too). */
  maxStarts: number;
  /** Length of the sliding window in milliseconds. */
  windowMs: number;
}

/**
 * Counts handler starts in a sliding window, so a handler that keeps dying is reported
 * (`UMD_CRASH_LOOP`) instead of being restarted forever.
 */
export class RestartBudget {
  readonly #options: RestartBudgetOptions;
  readonly #now: () => number;
  #starts: number[] = [];

  constructor(options: RestartBudgetOptions, now: () => number = () => performance.now()) {
    this.#options = options;
    this.#now = now;
  }

  /** Records a start if the budget allows one; returns false (and records nothing) when it is spent. */
  tryTake(): boolean {
    const now = this.#now();
    this.#starts = this.#starts.filter((t) => now - t < this.#options.windowMs);
    if (this.#starts.length >= this.#options.maxStarts) return false;
    this.#starts.push(now);
    return true;
  }

  /** Milliseconds until the next start is allowed again (0 when one is allowed now). */
  msUntilNextStart(): number {
    if (this.#starts.length < this.#options.maxStarts) return 0;
    const oldest = this.#starts[this.#starts.length - this.#options.maxStarts]!;
    return Math.max(0, oldest + this.#options.windowMs - this.#now());
  }

  /** Forgets all recorded starts. */
  reset(): void {
    this.#starts = [];
  }
}
