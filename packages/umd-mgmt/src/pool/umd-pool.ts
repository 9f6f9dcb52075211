import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { type Hello, isUmdError, UmdError, UmdErrorCode } from '@umd/core';
import { abortError } from '../manager/abort-reason.js';
import { stoppedError } from '../manager/fault-policy.js';
import { LatencyRecorder } from '../manager/latency-stats.js';
import { resolveManagerOptions, type UmdManagerOptions } from '../manager/manager-options.js';
import type { ManagerRequestOptions } from '../manager/request-options.js';
import type { UmdExitEvent } from '../manager/manager-types.js';
import { UmdManager } from '../manager/umd-manager.js';
import {
  type CheckedRequestOptions,
  checkRequestOptions,
  NO_TIMEOUT,
} from '../manager/validate-options.js';
import { type PoolInstance, pickInstance } from './dispatch.js';
import { poolStats, type UmdPoolStats } from './pool-stats.js';

/** Options of `new UmdPool(options)`: those of a manager (each instance gets them), plus `instances`. */
export interface UmdPoolOptions extends UmdManagerOptions {
  /**
   * Handler processes of the same loader (1). `'auto'`: `os.availableParallelism()`. Each is an
   * instance with its own lifecycle, restart budget and containment; `maxInFlight` applies per
   * instance, `maxQueue` to the pool's one queue, and `maxQueuedBytes` to that queue and to
   * each instance.
   */
  instances?: number | 'auto';
}

/** Events of {@link UmdPool}: each instance's manager events, with the instance's index. */
export interface UmdPoolEvents {
  load: [{ name: string; instance: number }];
  unload: [{ name: string; instance: number }];
  start: [{ pid: number; instance: number }];
  ready: [{ pid: number; hello: Hello | undefined; instance: number }];
  exit: [UmdExitEvent & { instance: number }];
  restart: [{ pid: number; previousPid: number | undefined; instance: number }];
  idle: [{ pid: number; instance: number }];
  stderr: [line: string, pid: number, instance: number];
  error: [error: UmdError, instance: number];
}

/** A request waiting in the pool's queue for an instance with a free slot. */
interface Waiter {
  payload: Uint8Array;
  replyLength: number;
  options: CheckedRequestOptions;
  t0: number;
  /** The caller's timeout, or the default one (counted from the call, the queue included). */
  timeoutMs: number | undefined;
  resolve: (reply: Uint8Array) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
}

// An instance whose start failed is passed over for this long, so its neighbours take the load.
const DOWN_MS = 1000;

/**
 * Several handler processes of one loader behind the request API of {@link UmdManager}: a
 * request goes to the least-loaded live instance, or waits in the pool's queue until one has a
 * free slot (so a hung or slow handler delays only what it already has). Each instance is a
 * manager of its own: a crash fails only that instance's requests (never re-sent), and its
 * handler is started again by the next request sent to it (the pool refills lazily).
 */
export class UmdPool extends EventEmitter<UmdPoolEvents> {
  readonly #name: string;
  readonly #instances: PoolInstance[];
  readonly #capacity: number;
  readonly #maxQueue: number;
  readonly #maxQueuedBytes: number;
  /** Payload bytes of the requests in {@link UmdPool.#queue}. */
  #queuedBytes = 0;
  readonly #defaultTimeoutMs: number | undefined;
  readonly #queue: Waiter[] = [];
  readonly #latency = new LatencyRecorder();
  readonly #own = { requests: 0, replies: 0, failures: 0 };
  #stopping: Promise<void> | undefined;

  /** @throws UmdError `UMD_INVALID_ARGUMENT` for bad options. Nothing is imported or spawned here. */
  constructor(options: UmdPoolOptions) {
    super();
    const { instances = 1, ...managerOptions } = options ?? ({} as UmdPoolOptions);
    // The manager's one validation, so that the pool's own limits (its queue, its default
    // timeout) are refused exactly as a manager refuses them.
    const resolved = resolveManagerOptions(managerOptions);
    const size = instances === 'auto' ? availableParallelism() : instances;
    if (!Number.isInteger(size) || size < 1 || size > 1024) {
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `UmdPool: instances must be 'auto' or an integer in 1..1024, got ${String(instances)}`,
      );
    }
    // The pool queues; an instance only ever holds what it may have in flight.
    const perInstance = { ...managerOptions, maxQueue: 0 };
    this.#instances = Array.from({ length: size }, (_, index) => {
      const name = size === 1 ? options.name : `${options.name}#${index}`;
      const manager = new UmdManager({ ...perInstance, name });
      this.#forward(manager, index);
      return { index, manager, load: 0, downUntil: 0 };
    });
    this.#name = resolved.name;
    this.#capacity = resolved.maxInFlight;
    this.#maxQueue = resolved.maxQueue;
    this.#maxQueuedBytes = resolved.maxQueuedBytes;
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

  /** Pid of each instance's running (or starting) handler, by index. */
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
        new UmdError(
          UmdErrorCode.INVALID_ARGUMENT,
          `${this.#name}: replyLength must be a non-negative integer`,
        ),
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
      const stopped = this.#stoppedError();
      for (const waiter of this.#dequeue(0, this.#queue.length)) this.#fail(waiter, stopped);
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
      { ...this.#own, queued: this.#queue.length, queuedBytes: this.#queuedBytes },
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
      if (!(payload instanceof Uint8Array))
        throw new UmdError(
          UmdErrorCode.INVALID_ARGUMENT,
          `${this.#name}: payload must be a Uint8Array`,
        );
      options = checkRequestOptions(given, payload, this.#name);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#stopping) return Promise.reject(this.#stoppedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal, this.#name));
    const t0 = performance.now();
    // Behind a non-empty queue a request waits its turn.
    const instance =
      this.#queue.length === 0 ? pickInstance(this.#instances, this.#capacity, t0) : undefined;
    if (instance !== undefined) {
      this.#own.requests++;
      return this.#send(instance, payload, replyLength, options, t0);
    }
    if (this.#queue.length >= this.#maxQueue) {
      return Promise.reject(
        new UmdError(
          UmdErrorCode.QUEUE_FULL,
          `${this.#name}: ${this.#maxQueue} requests already wait`,
          { handlerName: this.#name },
        ),
      );
    }
    // As a manager bounds what waits for its handler: one request of any size may wait alone.
    const bytes = payload.byteLength;
    if (this.#queuedBytes > 0 && this.#queuedBytes + bytes > this.#maxQueuedBytes) {
      return Promise.reject(
        new UmdError(
          UmdErrorCode.QUEUE_FULL,
          `${this.#name}: ${this.#queuedBytes} request bytes already wait in the pool's queue; ${bytes} more would pass maxQueuedBytes (${this.#maxQueuedBytes})`,
          { handlerName: this.#name },
        ),
      );
    }
    const own = options.timeoutMs ?? this.#defaultTimeoutMs;
    const timeoutMs = own === NO_TIMEOUT ? undefined : own;
    this.#own.requests++;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        payload,
        replyLength,
        options,
        t0,
        timeoutMs,
        resolve,
        reject,
        timer: undefined,
        onAbort: undefined,
      };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(
          () => this.#drop(waiter, this.#timeoutError(timeoutMs)),
          timeoutMs,
        );
      }
      if (signal !== undefined) {
        waiter.onAbort = () => this.#drop(waiter, abortError(signal, this.#name));
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#queuedBytes += bytes;
    });
  }

  #send(
    instance: PoolInstance,
    payload: Uint8Array,
    replyLength: number,
    options: CheckedRequestOptions,
    t0: number,
  ): Promise<Uint8Array> {
    instance.load++;
    const manager = instance.manager;
    const sent =
      replyLength < 0
        ? manager.request(payload, options)
        : manager.requestRaw(payload, replyLength, options);
    return sent.then(
      (reply) => {
        instance.load--;
        this.#own.replies++;
        this.#latency.record(performance.now() - t0);
        if (this.#queue.length > 0) this.#pump();
        return reply;
      },
      (error: unknown) => {
        instance.load--;
        this.#own.failures++;
        if (
          isUmdError(error, UmdErrorCode.START_FAILED) ||
          isUmdError(error, UmdErrorCode.CRASH_LOOP)
        )
          instance.downUntil = performance.now() + DOWN_MS;
        if (this.#queue.length > 0) this.#pump();
        throw error;
      },
    );
  }

  /** Hands queued requests, oldest first, to instances with a free slot. */
  #pump(): void {
    while (this.#queue.length > 0 && !this.#stopping) {
      const now = performance.now();
      const instance = pickInstance(this.#instances, this.#capacity, now);
      if (instance === undefined) return;
      const [waiter] = this.#dequeue(0, 1) as [Waiter];
      this.#disarm(waiter);
      let options = waiter.options;
      if (waiter.timeoutMs !== undefined) {
        // What is left of the caller's time goes with the request.
        const left = Math.floor(waiter.timeoutMs - (now - waiter.t0));
        if (left < 1) {
          this.#fail(waiter, this.#timeoutError(waiter.timeoutMs));
          continue;
        }
        options = { ...options, timeoutMs: left };
      }
      this.#send(instance, waiter.payload, waiter.replyLength, options, waiter.t0).then(
        waiter.resolve,
        waiter.reject,
      );
    }
  }

  /** Takes a waiter out of the queue (its timeout or signal fired) and fails it. */
  #drop(waiter: Waiter, error: UmdError): void {
    const at = this.#queue.indexOf(waiter);
    if (at < 0) return;
    this.#dequeue(at, 1);
    this.#fail(waiter, error);
  }

  /** Takes `count` waiters out of the queue from `at`, their payloads off its byte count. */
  #dequeue(at: number, count: number): Waiter[] {
    const taken = this.#queue.splice(at, count);
    for (const waiter of taken) this.#queuedBytes -= waiter.payload.byteLength;
    return taken;
  }

  #fail(waiter: Waiter, error: UmdError): void {
    this.#disarm(waiter);
    this.#own.failures++;
    waiter.reject(error);
  }

  #disarm(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.options.signal?.removeEventListener('abort', waiter.onAbort);
  }

  #timeoutError(timeoutMs: number): UmdError {
    return new UmdError(
      UmdErrorCode.TIMEOUT,
      `${this.#name}: no reply within ${timeoutMs} ms (still waiting for a free instance)`,
      { timedOut: true, handlerName: this.#name },
    );
  }

  #stoppedError(): UmdError {
    return stoppedError(this.#name, undefined, 'pool');
  }

  /** Re-emits an instance's events with its index. */
  #forward(manager: UmdManager, instance: number): void {
    for (const event of ['load', 'unload', 'start', 'ready', 'exit', 'restart', 'idle'] as const) {
      manager.on(event, (info: object) => {
        (this.emit as (e: string, arg: object) => boolean)(event, { ...info, instance });
      });
    }
    manager.on('stderr', (line, pid) => this.emit('stderr', line, pid, instance));
    // Only when someone listens: an unobserved fault must not throw in the host.
    manager.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error, instance);
    });
  }
}
