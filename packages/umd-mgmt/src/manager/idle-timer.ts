/**
 * Calls `onIdle` once the manager has had nothing pending for `idleMs`. One timer at most, kept
 * across busy/idle flips instead of armed and cleared per request (a timer costs more than
 * the rest of a fast request path): when it fires early it re-arms for what is left. The timer
 * is unreferenced, so an idle handler never keeps the host alive for it.
 */
export class IdleTimer {
  readonly #idleMs: number;
  readonly #onIdle: () => void;
  #timer: NodeJS.Timeout | undefined;
  #idleSince: number | undefined;

  constructor(idleMs: number, onIdle: () => void) {
    this.#idleMs = idleMs;
    this.#onIdle = onIdle;
  }

  /** Nothing is pending from now on. */
  idle(): void {
    this.#idleSince = performance.now();
    if (this.#timer === undefined) this.#arm(this.#idleMs);
  }

  /** Something is pending: the idle period (if any) ended. */
  busy(): void {
    this.#idleSince = undefined;
  }

  /** Forgets the idle period and the timer (the handler is gone). */
  clear(): void {
    this.#idleSince = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), ms);
    this.#timer.unref();
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#idleSince === undefined) return;
    const left = this.#idleSince + this.#idleMs - performance.now();
    if (left > 0) {
      this.#arm(Math.ceil(left));
      return;
    }
    this.#idleSince = undefined;
    this.#onIdle();
  }
}
