import type { UmdError } from '@umd/core';

interface Waiter {
  grant: () => void;
  fail: (error: UmdError) => void;
}

/**
 * Up to `slots` holders at once (the kernel's mutex when 1); waiters are served in order.
 * How many may wait is decided before (see `Admission`).
 */
export class SlotQueue {
  readonly #slots: number;
  readonly #waiters: Waiter[] = [];
  #head = 0;
  #held = 0;

  constructor(slots: number) {
    this.#slots = slots;
  }

  /** Slots in use. */
  get held(): number {
    return this.#held;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  /** Takes a slot at once if one is free and nobody waits; returns false otherwise. The fast path. */
  tryAcquire(): boolean {
    if (this.#held < this.#slots && this.waiting === 0) {
      this.#held++;
      return true;
    }
    return false;
  }

  /** Waits for a slot. Rejects with the signal's reason when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter, this.#head);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Returns a slot; hands it straight to the next waiter if there is one. */
  release(): void {
    if (this.waiting > 0) {
      const waiter = this.#waiters[this.#head]!;
      this.#waiters[this.#head++] = undefined as unknown as Waiter;
      if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters.splice(0, this.#head);
        this.#head = 0;
      }
      waiter.grant();
      return;
    }
    this.#held--;
  }

  /** Rejects every waiter with `error` (stop()). Held slots are returned by their holders. */
  failWaiters(error: UmdError): void {
    const waiters = this.#waiters.splice(this.#head);
    this.#waiters.length = 0;
    this.#head = 0;
    for (const waiter of waiters) waiter.fail(error);
  }
}
