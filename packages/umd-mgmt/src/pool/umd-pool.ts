import { EventEmitter } from 'node:events';
import { invalidArgument, isUmdError, type UmdError, UmdErrorCode } from '@umd/core';
import { abortError } from '../manager/abort-reason.js';
import { stoppedError } from '../manager/fault-policy.js';
import { LatencyRecorder } from '../manager/latency-stats.js';
import type { ManagerRequestOptions } from '../manager/request-options.js';
import { submitChecked, UmdManager, unwrittenBytes } from '../manager/umd-manager.js';
import {
  type CheckedRequestOptions,
  checkRequestOptions,
  withTimeout,
} from '../manager/validate-options.js';
import {
  type Lookahead,
  newInstance,
  type PoolInstance,
  pickInstance,
  requestLookahead,
  settled,
} from './dispatch.js';
import { forwardEvents, type UmdPoolEvents } from './pool-events.js';
import { resolvePoolOptions, type UmdPoolOptions } from './pool-options.js';
import { newWaiter, PoolQueue, type Waiter } from './pool-queue.js';
import { watchBehind } from './reclaim-watch.js';
import { poolStats, type UmdPoolStats } from './pool-stats.js';

// An instance whose start failed is passed over for this long, so its neighbours take the load.
const DOWN_MS = 1000;

/**
 * Several handler processes of one loader behind the request API of {@link UmdManager}: a
 * request goes to the least-loaded live instance, or waits in the pool's queue until one has a
 * free slot. Each instance is a manager of its own: a crash fails only that instance's requests,
 * and its handler is started again by the next request sent to it (the pool refills lazily).
 * A request is sent again only when it provably never ran: requests waiting behind an overdue
 * one at an instance (its lookahead) are asked back, and those its handler confirms it has not
 * started go to another instance (see `watchBehind`); nothing that may have started is re-sent.
 */
export class UmdPool extends EventEmitter<UmdPoolEvents> {
  readonly #name: string;
  readonly #instances: PoolInstance[];
  readonly #capacity: number;
  readonly #lookahead: Lookahead;
  readonly #defaultTimeoutMs: number | undefined;
  readonly #queue: PoolQueue;
  readonly #latency = new LatencyRecorder();
  readonly #own = { requests: 0, replies: 0, failures: 0 };
  #stopping: Promise<void> | undefined;

  /** @throws UmdError `UMD_INVALID_ARGUMENT` for bad options. Nothing is imported or spawned here. */
  constructor(options: UmdPoolOptions) {
    super();
    const { size, lookahead, resolved, perInstance } = resolvePoolOptions(options);
    this.#instances = Array.from({ length: size }, (_, index) => {
      const name = size === 1 ? options.name : `${options.name}#${index}`;
      const manager = new UmdManager({ ...perInstance, name });
      forwardEvents(manager, index, this);
      return newInstance(index, manager);
    });
    this.#name = resolved.name;
    this.#capacity = resolved.maxInFlight;
    this.#lookahead = lookahead;
    this.#queue = new PoolQueue(resolved, () => this.#own.failures++);
    this.#defaultTimeoutMs = resolved.requestTimeoutMs;
  }

  /** The driver's name. */
  get name(): string {
    return this.#name;
  }

  /** Number of instances. */
  get size(): number {
    return this.#instances.length;
  }

  /** Each instance's {@link UmdManager.pid} (the handler, or its supervisor), by index. */
  get pids(): (number | undefined)[] {
    return this.#instances.map((i) => i.manager.pid);
  }

  /** Framed drivers: as {@link UmdManager.request}, on the least-loaded instance. */
  request(payload: Uint8Array, options: ManagerRequestOptions = {}): Promise<Uint8Array> {
    return this.#submit(payload, -1, options);
  }

  /** Raw drivers: as {@link UmdManager.requestRaw}, on the least-loaded instance. */
  requestRaw(
    payload: Uint8Array,
    replyLength: number,
    options: ManagerRequestOptions = {},
  ): Promise<Uint8Array> {
    if (!Number.isInteger(replyLength) || replyLength < 0) {
      return Promise.reject(
        invalidArgument(this.#name, 'replyLength must be a non-negative integer'),
      );
    }
    return this.#submit(payload, replyLength, options);
  }

  /** Starts every instance now (otherwise each starts on its first request). */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    await Promise.all(this.#instances.map((i) => i.manager.start(options)));
  }

  /** Fails the pool's queue with `UMD_STOPPED` and stops every instance (see {@link UmdManager.stop}). Idempotent. */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.#stopping ??= (async () => {
      this.#queue.failAll(this.#stoppedError());
      await Promise.all(this.#instances.map((i) => i.manager.stop(options)));
    })().finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  /** `await using pool = new UmdPool(...)`: {@link UmdPool.stop} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Stops every instance and forgets the loader (see {@link UmdManager.unload}). */
  async unload(): Promise<void> {
    await this.stop();
    await Promise.all(this.#instances.map((i) => i.manager.unload()));
  }

  /** Forgets every instance's recorded starts (ends `UMD_CRASH_LOOP` at once). */
  resetRestartBudget(): void {
    for (const i of this.#instances) {
      i.manager.resetRestartBudget();
      i.downUntil = 0;
    }
  }

  /** Totals and each instance's stats. */
  stats(): UmdPoolStats {
    return poolStats(
      this.#instances.map((i) => i.manager.stats()),
      { ...this.#own, queued: this.#queue.length, queuedBytes: this.#queue.bytes },
      this.#latency.summary(),
    );
  }

  // ---- request path -------------------------------------------------------------------

  #submit(
    payload: Uint8Array,
    replyLength: number,
    given: ManagerRequestOptions | null | undefined,
  ): Promise<Uint8Array> {
    let options: CheckedRequestOptions;
    try {
      options = checkRequestOptions(given, payload, this.#name);
    } catch (error) {
      return Promise.reject(error);
    }
    const settled = this.#admit(payload, replyLength, options);
    return options.release === undefined ? settled : settled.finally(options.release);
  }

  #admit(
    payload: Uint8Array,
    replyLength: number,
    options: CheckedRequestOptions,
  ): Promise<Uint8Array> {
    if (this.#stopping) return Promise.reject(this.#stoppedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal, this.#name));
    const tooLarge = this.#queue.bytesRefusal(payload.byteLength, this.#unwrittenAtInstances());
    if (tooLarge !== undefined) return Promise.reject(tooLarge);
    const t0 = performance.now();
    // Behind a non-empty queue a request waits its turn.
    const instance = this.#queue.length === 0 ? this.#pick(t0, replyLength, options) : undefined;
    if (instance !== undefined) {
      this.#own.requests++;
      return this.#send(instance, payload, replyLength, options, t0);
    }
    const full = this.#queue.countRefusal();
    if (full !== undefined) return Promise.reject(full);
    this.#own.requests++;
    return new Promise((resolve, reject) => {
      const request = { payload, replyLength, options, t0 };
      this.#queue.push(newWaiter(request, this.#defaultTimeoutMs, resolve, reject));
    });
  }

  /** A request an instance gave back unstarted waits again, by the age of its call. */
  #requeue(waiter: Waiter): void {
    this.#queue.requeue(waiter);
    this.#pump();
  }

  /**
   * Hands a request to `instance`'s manager, the default timeout counted from the pool's call
   * (`t0`), and returns the outcome (already handled by `waiter` when it came from the queue).
   * The slot goes to the next waiter before the caller hears of the reply: a handler then
   * waits for its next request only as long as the host takes to read this reply.
   */
  #send(
    instance: PoolInstance,
    payload: Uint8Array,
    replyLength: number,
    options: CheckedRequestOptions,
    t0: number,
    waiter?: Waiter,
  ): Promise<Uint8Array> {
    const handedAt = performance.now();
    instance.handedAt.push(handedAt);
    watchBehind(instance, this.#capacity);
    const sent = instance.manager[submitChecked](payload, replyLength, options, t0);
    const replied = (reply: Uint8Array): Uint8Array => {
      const now = performance.now();
      settled(instance, handedAt, now, true);
      watchBehind(instance, this.#capacity);
      this.#own.replies++;
      this.#latency.record(now - t0);
      if (this.#queue.length > 0) this.#pump();
      return reply;
    };
    const failed = (error: unknown): unknown => {
      settled(instance, handedAt, performance.now(), false);
      watchBehind(instance, this.#capacity);
      this.#own.failures++;
      if (
        isUmdError(error, UmdErrorCode.START_FAILED) ||
        isUmdError(error, UmdErrorCode.CRASH_LOOP)
      )
        instance.downUntil = performance.now() + DOWN_MS;
      if (this.#queue.length > 0) this.#pump();
      return error;
    };
    // Given back unstarted: it waits again, for another instance (this one's oldest is overdue).
    const givenBack = (error: unknown): boolean => {
      if (!isUmdError(error, UmdErrorCode.NOT_STARTED)) return false;
      settled(instance, handedAt, performance.now(), false);
      return true;
    };
    if (waiter === undefined)
      return sent.then(replied, (error: unknown) => {
        if (!givenBack(error)) throw failed(error);
        const request = { payload, replyLength, options, t0 };
        return new Promise((resolve, reject) =>
          this.#requeue(newWaiter(request, this.#defaultTimeoutMs, resolve, reject)),
        );
      });
    sent.then(
      (reply) => waiter.resolve(replied(reply)),
      (error: unknown) => (givenBack(error) ? this.#requeue(waiter) : waiter.reject(failed(error))),
    );
    return sent;
  }

  /** Hands queued requests, oldest first, to instances with a free slot. */
  #pump(): void {
    while (this.#queue.length > 0 && !this.#stopping) {
      const now = performance.now();
      const next = this.#queue.peek()!;
      const instance = this.#pick(now, next.replyLength, next.options);
      if (instance === undefined) return;
      const waiter = this.#queue.shift()!;
      let options = waiter.options;
      const { timeoutMs } = waiter;
      if (timeoutMs !== undefined) {
        const left = Math.floor(timeoutMs - (now - waiter.t0));
        if (left < 1) {
          // Its time passed in the queue (the timer is late): fail it here, never send it.
          this.#own.failures++;
          waiter.reject(this.#queue.timeoutError(timeoutMs));
          continue;
        }
        // The caller's own timeout: what is left of it goes with the request (the default
        // one the instance counts from t0 itself).
        if (options.timeoutMs !== undefined) options = withTimeout(options, left);
      }
      this.#send(instance, waiter.payload, waiter.replyLength, options, waiter.t0, waiter);
    }
  }

  /** An instance for a request, with the lookahead it may use (see `requestLookahead`). */
  #pick(
    now: number,
    replyLength: number,
    options: CheckedRequestOptions,
  ): PoolInstance | undefined {
    const lookahead = requestLookahead(this.#lookahead, replyLength, options.timeoutMs);
    return pickInstance(this.#instances, this.#capacity, now, lookahead);
  }

  /** Request bytes the instances have not written to their handlers yet. */
  #unwrittenAtInstances(): number {
    let bytes = 0;
    for (const i of this.#instances) bytes += i.manager[unwrittenBytes]();
    return bytes;
  }

  #stoppedError(): UmdError {
    return stoppedError(this.#name, undefined, 'pool');
  }
}
