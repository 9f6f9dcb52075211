import { EventEmitter } from 'node:events';
import { checkObject, checkSignal, type FramedChannel, invalidArgument, UmdError } from '@umd/core';
import { abortError, untilAborted } from './abort-reason.js';
import { Admission } from './admission.js';
import { stoppedError } from './fault-policy.js';
import { HandlerLifecycle } from './handler-lifecycle.js';
import { IdleTimer } from './idle-timer.js';
import { ManagerMetrics } from './manager-metrics.js';
import {
  type ResolvedManagerOptions,
  resolveManagerOptions,
  type UmdManagerOptions,
} from './manager-options.js';
import {
  LIFECYCLE_EVENTS,
  type UmdManagerEvents,
  type UmdManagerState,
  type UmdManagerStats,
} from './manager-types.js';
import { OnceWaiters } from './once-waiters.js';
import type { ManagerRequestOptions } from './request-options.js';
import { RequestPath } from './request-path.js';
import { type CheckedRequestOptions, checkTimeout } from './validate-options.js';

export type {
  UmdExitEvent,
  UmdManagerEvents,
  UmdManagerState,
  UmdManagerStats,
} from './manager-types.js';

/** Key of a pool's way into its instances' managers (not exported from the package). */
export const submitChecked: unique symbol = Symbol('UmdManager.submitChecked');
/** Key of a pool's read of an instance's `queuedBytes` alone (not exported from the package). */
export const unwrittenBytes: unique symbol = Symbol('UmdManager.unwrittenBytes');
/** Key of a pool's way to take back an instance's requests its handler has not started. */
export const reclaimUnstarted: unique symbol = Symbol('UmdManager.reclaimUnstarted');
/** Key of a pool's read of an instance's cancelled requests its handler has not answered yet. */
export const cancelledUnanswered: unique symbol = Symbol('UmdManager.cancelledUnanswered');

/**
 * The front end of a user mode driver (the kernel's UMD manager): on first use it imports the
 * loader, starts the handler and waits for HELLO and postStart; it serializes requests (or
 * allows `maxInFlight`), bounds the queue, turns every fault into a typed error for the
 * requests it hit, replaces a failed handler on the next request, and never re-sends a request.
 *
 * Events: `load`, `unload`, `start`, `ready`, `exit`, `restart`, `stderr`, `error` (emitted only
 * when someone listens, so a fault never crashes a host that does not).
 */
export class UmdManager extends EventEmitter<UmdManagerEvents> {
  readonly #options: ResolvedManagerOptions;
  readonly #metrics: ManagerMetrics;
  readonly #admission: Admission;
  readonly #lifecycle: HandlerLifecycle;
  readonly #requests: RequestPath;
  /** One-shot waits on lifecycle events keep the handler referenced, as pending requests do. */
  readonly #waiters = new OnceWaiters(this, LIFECYCLE_EVENTS, () => this.#updateReferenced());
  readonly #idle: IdleTimer | undefined;

  /** @throws UmdError `UMD_INVALID_ARGUMENT` for bad options. Nothing is imported or spawned here. */
  constructor(options: UmdManagerOptions) {
    super();
    const o = resolveManagerOptions(options);
    this.#options = o;
    this.#metrics = new ManagerMetrics(o.name);
    this.#admission = new Admission(o, (busy) => {
      if (busy) this.#idle?.busy();
      else this.#idle?.idle();
      this.#updateReferenced();
    });
    this.#lifecycle = new HandlerLifecycle(o, {
      emitter: this,
      metrics: this.#metrics,
      busy: () => this.#admission.pending > 0,
      readyIdle: (proc) => {
        proc.setReferenced(this.#waiters.waiting);
        this.#idle?.idle();
      },
    });
    this.#requests = new RequestPath(o, this.#admission, this.#metrics, this.#lifecycle);
    const idleMs = o.idleTimeoutMs;
    this.#idle =
      idleMs === undefined ? undefined : new IdleTimer(idleMs, () => this.#lifecycle.retireIdle());
  }

  /** `await using manager = new UmdManager(...)`: {@link UmdManager.stop} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Current lifecycle state. */
  get state(): UmdManagerState {
    return this.#lifecycle.state;
  }

  /**
   * Pid of the running (or starting) handler's process, if any: the handler itself, or with
   * `pid-namespace` containment its supervisor (it waits out the signals the namespace's init
   * passes on to the handler, which reach both from their process group; SIGKILL it and the
   * handler goes with it; `stop()` ends both).
   */
  get pid(): number | undefined {
    return this.#lifecycle.current?.process.pid;
  }

  /** The driver's name. */
  get name(): string {
    return this.#options.name;
  }

  /**
   * Framed drivers: sends `payload` and resolves with the handler's reply. Starts the handler
   * first if needed. Rejects with a {@link UmdError}; see the README for every code.
   * `options.replyInto` reads a reply that fits into your buffer instead of a fresh one (see `ReplyOptions`).
   * A fresh reply of 256 KiB or more is in `@umd/core`'s reply memory where its native helper
   * loads: copied, not moved, by `postMessage` (a transfer list with its buffer throws on Node 22+).
   */
  request(payload: Uint8Array, options?: ManagerRequestOptions | null): Promise<Uint8Array> {
    return this.#requests.submit(payload, -1, options);
  }

  /**
   * Raw drivers: writes `payload`, resolves with exactly `replyLength` bytes (the kernel's `umd_send_recv`),
   * read into `options.replyInto` when given (it must hold `replyLength` bytes).
   */
  requestRaw(
    payload: Uint8Array,
    replyLength: number,
    options?: ManagerRequestOptions | null,
  ): Promise<Uint8Array> {
    if (!Number.isInteger(replyLength) || replyLength < 0) {
      return Promise.reject(
        invalidArgument(this.#options.name, 'replyLength must be a non-negative integer'),
      );
    }
    return this.#requests.submit(payload, replyLength, options);
  }

  /**
   * A pool's request: options the pool checked already, and the default timeout counted from
   * `since` (the pool's call, before its queue), so no timer is armed per request for it.
   * @internal
   */
  [submitChecked](
    payload: Uint8Array,
    replyLength: number,
    options: CheckedRequestOptions,
    since: number | undefined,
  ): Promise<Uint8Array> {
    return this.#requests.submitChecked(payload, replyLength, options, since);
  }

  /**
   * Request bytes not yet written to the handler (`stats().queuedBytes`), without the rest of
   * the stats: a pool reads it for every request to bound its total.
   * @internal
   */
  [unwrittenBytes](): number {
    return this.#admission.queuedBytes(this.#lifecycle.handler?.channel.bufferedBytes ?? 0);
  }

  /**
   * A pool's reclaim: a framed handler's requests in flight after the first `keep`, each taken
   * back (`UMD_NOT_STARTED`) if unwritten or if the handler answers its CANCEL as not started
   * (see `FramedChannel.reclaimUnstarted`). Returns how many were asked back.
   * @internal
   */
  [reclaimUnstarted](keep: number): number {
    const h = this.#lifecycle.handler;
    if (h === undefined || h.mode !== 'framed' || h.faulted || h.channel.closed) return 0;
    return (h.channel as FramedChannel).reclaimUnstarted(keep);
  }

  /**
   * Requests given up in flight (abort, timeout) whose handler has not answered them yet: they
   * no longer count as held, but the handler may still be busy with them, or stuck. A pool counts
   * them as load so that an idle instance is preferred (see `FramedChannel.cancelledUnanswered`).
   * @internal
   */
  [cancelledUnanswered](): number {
    const channel = this.#lifecycle.handler?.channel;
    return channel === undefined || channel.closed ? 0 : channel.cancelledUnanswered;
  }

  /** Loads the loader and starts the handler now (otherwise the first request does). Resolves once it is ready. */
  async start(options?: { signal?: AbortSignal } | null): Promise<void> {
    const name = this.#options.name;
    const signal = checkSignal(
      checkObject<{ signal?: unknown }>(options, 'options', name).signal,
      name,
    );
    if (this.#lifecycle.stopping) throw stoppedError(name);
    if (signal?.aborted) throw abortError(signal, name);
    // (A starting handler keeps the host alive by itself until it is ready.)
    try {
      await untilAborted(this.#lifecycle.ensureRunning(), signal);
    } catch (error) {
      throw signal?.aborted ? abortError(signal, name) : error;
    }
  }

  /**
   * Stops the handler: pending and queued requests reject with `UMD_STOPPED`, then stdin is
   * closed, `graceMs` later the process group gets SIGTERM (in a PID namespace its init passes it
   * on to the handler), `graceMs` after that SIGKILL. Idempotent. The manager stays usable: a later request starts a fresh handler.
   */
  stop(options?: { graceMs?: number } | null): Promise<void> {
    const name = this.#options.name;
    let graceMs: number;
    try {
      const given = checkObject<{ graceMs?: unknown }>(options, 'options', name);
      graceMs = checkTimeout(given.graceMs, 'graceMs', name, this.#options.stopGraceMs, { min: 0 });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#lifecycle.stop(graceMs, (stopped) => this.#admission.failWaiters(stopped));
  }

  /** Stops the handler and forgets the loader (the kernel's rmmod of the loader): the next request imports it again. */
  async unload(): Promise<void> {
    await this.stop();
    this.#lifecycle.unload();
  }

  /**
   * Forgets recorded starts, so a manager in `UMD_CRASH_LOOP` may start again at once.
   * `stop()` and `unload()` do this too: starts after a deliberate stop are not crash restarts.
   */
  resetRestartBudget(): void {
    this.#lifecycle.faults.resetBudget();
  }

  /** Counters, current queue and a latency summary. */
  stats(): UmdManagerStats {
    const proc = this.#lifecycle.current?.process;
    const admission = this.#admission;
    return {
      state: this.#lifecycle.state,
      pid: proc?.pid,
      containment: proc?.containment,
      ...this.#metrics.counters,
      inFlight: admission.held,
      queued: admission.pending - admission.held,
      queuedBytes: this[unwrittenBytes](),
      latency: this.#metrics.latency(),
    };
  }

  /**
   * As `EventEmitter.once`; a one-shot listener on a lifecycle event (what `events.once`
   * registers) also keeps the host alive until the event comes or the listener is removed.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the signature of EventEmitter's own once()
  override once(event: any, listener: any): this {
    this.#waiters.add(event, listener);
    return super.once(event, listener);
  }

  /** The handler keeps the host alive while requests, a start or a once-wait are pending. */
  #updateReferenced(): void {
    this.#lifecycle.current?.process.setReferenced(
      this.#admission.pending > 0 || this.#waiters.waiting,
    );
  }
}
