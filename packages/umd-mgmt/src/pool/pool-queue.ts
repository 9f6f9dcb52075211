import { UmdError, UmdErrorCode } from '@umd/core';
import { abortError } from '../manager/abort-reason.js';
import { DeadlineWatchdog, type WatchedRequest } from '../manager/deadline-watchdog.js';
import { waitTimeoutError } from '../manager/fault-policy.js';
import { type CheckedRequestOptions, NO_TIMEOUT } from '../manager/validate-options.js';

/** A request waiting in the pool's queue for an instance with a free slot. */
export interface Waiter {
  readonly payload: Uint8Array;
  readonly replyLength: number;
  readonly options: CheckedRequestOptions;
  /** `performance.now()` at the call: the caller's timeout counts from here, the queue included. */
  readonly t0: number;
  /** The caller's timeout or the default one; `undefined`: none. */
  readonly timeoutMs: number | undefined;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
  watched: WatchedRequest<Waiter> | undefined;
  onAbort: (() => void) | undefined;
}

/** A waiter for a request made at `t0`, with its own timeout or else `defaultTimeoutMs`. */
export function newWaiter(
  request: Pick<Waiter, 'payload' | 'replyLength' | 'options' | 't0'>,
  defaultTimeoutMs: number | undefined,
  resolve: (reply: Uint8Array) => void,
  reject: (error: unknown) => void,
): Waiter {
  const { payload, replyLength, options, t0 } = request;
  const own = options.timeoutMs ?? defaultTimeoutMs;
  const timeoutMs = own === NO_TIMEOUT ? undefined : own;
  // Each field written out, never `{ ...request, timeoutMs, ... }`: see withTimeout (a hidden
  // class per waiter on Node 20).
  return {
    payload,
    replyLength,
    options,
    t0,
    timeoutMs,
    resolve,
    reject,
    watched: undefined,
    onAbort: undefined,
  };
}

/** The pool's bounds on what may wait. */
export interface PoolQueueLimits {
  name: string;
  maxQueue: number;
  maxQueuedBytes: number;
}

/**
 * The requests of a pool that wait for a free instance, oldest first, within `maxQueue` (and
 * `maxQueuedBytes` with what waits at the instances). A waiter leaves when it is taken for an instance, or fails on its own when
 * its timeout passes or its signal aborts. Timeouts share one timer (the manager's
 * {@link DeadlineWatchdog}), not one per waiter: under load every request waits here.
 */
export class PoolQueue {
  readonly #limits: PoolQueueLimits;
  readonly #waiters: Waiter[] = [];
  readonly #watchdog = new DeadlineWatchdog<Waiter>((overdue) => {
    const waiter = overdue.item;
    waiter.watched = undefined;
    this.#drop(waiter, this.timeoutError(waiter.timeoutMs!));
  });
  #bytes = 0;
  /** Called for every waiter that failed here (its timeout, its signal, or {@link PoolQueue.failAll}). */
  readonly #onFailed: () => void;

  constructor(limits: PoolQueueLimits, onFailed: () => void) {
    this.#limits = limits;
    this.#onFailed = onFailed;
  }

  /** Requests waiting. */
  get length(): number {
    return this.#waiters.length;
  }

  /** Payload bytes of the requests waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * `UMD_QUEUE_FULL` when a request of `bytes` may not enter the pool now, else `undefined`:
   * `maxQueuedBytes` bounds the request bytes not yet written to any handler, in this queue and
   * at every instance together (`atInstances`). As a manager's: one request of any size may
   * wait alone. Checked for every request, sent at once or queued, so the total never passes
   * the bound (an instance only ever gets bytes already counted here).
   */
  bytesRefusal(bytes: number, atInstances: number): UmdError | undefined {
    const { name, maxQueuedBytes } = this.#limits;
    const waiting = this.#bytes + atInstances;
    if (waiting > 0 && waiting + bytes > maxQueuedBytes)
      return new UmdError(
        UmdErrorCode.QUEUE_FULL,
        `${name}: ${waiting} request bytes already wait to be written to the pool's handlers; ${bytes} more would pass maxQueuedBytes (${maxQueuedBytes})`,
        { handlerName: name },
      );
    return undefined;
  }

  /** `UMD_QUEUE_FULL` when `maxQueue` requests already wait here, else `undefined`. */
  countRefusal(): UmdError | undefined {
    const { name, maxQueue } = this.#limits;
    if (this.#waiters.length < maxQueue) return undefined;
    return new UmdError(UmdErrorCode.QUEUE_FULL, `${name}: ${maxQueue} requests already wait`, {
      handlerName: name,
    });
  }

  /** Queues `waiter` (after {@link PoolQueue.bytesRefusal} and {@link PoolQueue.countRefusal} said it may wait), armed with its timeout and signal. */
  push(waiter: Waiter): void {
    if (waiter.timeoutMs !== undefined)
      waiter.watched = this.#watchdog.watch(waiter.t0 + waiter.timeoutMs, waiter);
    const signal = waiter.options.signal;
    if (signal !== undefined) {
      waiter.onAbort = () => this.#drop(waiter, abortError(signal, this.#limits.name));
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    this.#waiters.push(waiter);
    this.#bytes += waiter.payload.byteLength;
  }

  /**
   * Queues again, by the age of its call, a waiter an instance gave back unstarted (it was
   * admitted before: no bound applies), armed as by {@link PoolQueue.push}; failed at once if its
   * signal fired meanwhile.
   */
  requeue(waiter: Waiter): void {
    const signal = waiter.options.signal;
    if (signal?.aborted) return this.#fail(waiter, abortError(signal, this.#limits.name));
    this.push(waiter);
    const waiters = this.#waiters;
    const at = waiters.findIndex((other) => other.t0 > waiter.t0);
    if (at >= 0) waiters.splice(at, 0, waiters.pop()!);
  }

  /** The oldest waiter, left in place; `undefined` when none waits. */
  peek(): Waiter | undefined {
    return this.#waiters[0];
  }

  /** Takes the oldest waiter out, disarmed; `undefined` when none waits. */
  shift(): Waiter | undefined {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) this.#leave(waiter);
    return waiter;
  }

  /** Fails every waiter with `error`. */
  failAll(error: UmdError): void {
    for (const waiter of this.#waiters.splice(0)) {
      this.#leave(waiter);
      this.#fail(waiter, error);
    }
  }

  /** The `UMD_TIMEOUT` of a request whose `timeoutMs` passed before any instance took it. */
  timeoutError(timeoutMs: number): UmdError {
    return waitTimeoutError(this.#limits.name, timeoutMs, 'a free instance');
  }

  /** Takes a waiter out (its timeout passed or its signal aborted) and fails it. */
  #drop(waiter: Waiter, error: UmdError): void {
    const at = this.#waiters.indexOf(waiter);
    if (at < 0) return;
    this.#waiters.splice(at, 1);
    this.#leave(waiter);
    this.#fail(waiter, error);
  }

  #leave(waiter: Waiter): void {
    this.#bytes -= waiter.payload.byteLength;
    if (waiter.watched !== undefined) this.#watchdog.unwatch(waiter.watched);
    waiter.watched = undefined;
    if (waiter.onAbort) waiter.options.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.onAbort = undefined;
  }

  #fail(waiter: Waiter, error: UmdError): void {
    this.#onFailed();
    waiter.reject(error);
  }
}
