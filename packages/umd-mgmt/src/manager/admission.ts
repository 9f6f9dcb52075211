import { UmdError, UmdErrorCode } from '@umd/core';
import type { ResolvedManagerOptions } from './manager-options.js';
import { SlotQueue } from './slot-queue.js';

/**
 * Admission control: how many requests may be pending (in flight plus `maxQueue` waiting),
 * how many request bytes may wait to be written (`maxQueuedBytes`), and the slots
 * (`maxInFlight`) the admitted requests take turns on.
 */
export class Admission {
  readonly #name: string;
  readonly #maxPending: number;
  readonly #maxQueue: number;
  readonly #maxQueuedBytes: number;
  readonly #slots: SlotQueue;
  readonly #busyChanged: (busy: boolean) => void;
  /** Requests admitted and not yet settled: waiting for a handler or a slot, or in flight. */
  #pending = 0;
  /** Payload bytes of requests waiting for a handler or a slot (not yet given to a channel). */
  #waitingBytes = 0;

  /** `busyChanged(busy)` runs when the pending count leaves 0 and when it returns to it. */
  constructor(options: ResolvedManagerOptions, busyChanged: (busy: boolean) => void) {
    this.#name = options.name;
    this.#maxQueue = options.maxQueue;
    this.#maxPending = options.maxInFlight + options.maxQueue;
    this.#maxQueuedBytes = options.maxQueuedBytes;
    this.#slots = new SlotQueue(options.maxInFlight);
    this.#busyChanged = busyChanged;
  }

  /** Requests admitted and not yet settled. */
  get pending(): number {
    return this.#pending;
  }

  /** Slots in use (requests in flight). */
  get held(): number {
    return this.#slots.held;
  }

  /** Request bytes not yet written: waiting here, plus `inChannel` that a channel buffers. */
  queuedBytes(inChannel: number): number {
    return this.#waitingBytes + inChannel;
  }

  /**
   * The one check of the queue's limits: the error that refuses a request of `bytes` now (the
   * current channel buffers `inChannel` bytes), or `undefined` when it may wait. One request of
   * any size may wait alone.
   */
  refusal(bytes: number, inChannel: number): UmdError | undefined {
    if (this.#pending >= this.#maxPending) {
      return new UmdError(
        UmdErrorCode.QUEUE_FULL,
        `${this.#name}: ${this.#maxQueue} requests already wait`,
        { handlerName: this.#name },
      );
    }
    const queued = this.#waitingBytes + inChannel;
    if (queued > 0 && queued + bytes > this.#maxQueuedBytes) {
      return new UmdError(
        UmdErrorCode.QUEUE_FULL,
        `${this.#name}: ${queued} request bytes already wait to be written to the handler; ${bytes} more would pass maxQueuedBytes (${this.#maxQueuedBytes})`,
        { handlerName: this.#name },
      );
    }
    return undefined;
  }

  /** A request was admitted. */
  entered(): void {
    if (++this.#pending === 1) this.#busyChanged(true);
  }

  /** An admitted request settled. */
  left(): void {
    if (--this.#pending === 0) this.#busyChanged(false);
  }

  /** `bytes` of a request start (`+`) or stop (`-`) waiting for a handler or a slot. */
  waiting(bytes: number): void {
    this.#waitingBytes += bytes;
  }

  /** Takes a slot at once if one is free and nobody waits. */
  tryAcquire(): boolean {
    return this.#slots.tryAcquire();
  }

  /** Waits for a slot, in order; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal | undefined): Promise<void> {
    return this.#slots.acquire(signal);
  }

  /** Returns a slot (to the next waiter, if any). */
  release(): void {
    this.#slots.release();
  }

  /** Fails every request waiting for a slot (stop()). */
  failWaiters(error: UmdError): void {
    this.#slots.failWaiters(error);
  }
}
