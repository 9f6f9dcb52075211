import {
  type FramedChannel,
  type RawChannel,
  type ReplyOptions,
  UmdError,
  UmdErrorCode,
} from '@umd/core';
import { abortError, whenAborted } from './abort-reason.js';
import type { ActiveHandler } from './active-handler.js';
import type { Admission } from './admission.js';
import { withinCallBounds } from './call-bounds.js';
import { stoppedError, waitTimeoutError } from './fault-policy.js';
import type { HandlerLifecycle } from './handler-lifecycle.js';
import type { ManagerMetrics } from './manager-metrics.js';
import type { ResolvedManagerOptions } from './manager-options.js';
import type { ManagerRequestOptions } from './request-options.js';
import { type CheckedRequestOptions, checkRequestOptions, NO_TIMEOUT } from './validate-options.js';

const NO_REPLY_OPTIONS: ReplyOptions = Object.freeze({});

/**
 * A manager's request path, top to bottom: validate and admit, wait (if need be) for a ready
 * handler and a slot, exchange, then settle: stats, diagnostics and the caller get the same
 * outcome, and a failure the handler caused takes it out of service first (see `FaultPolicy`).
 */
export class RequestPath {
  readonly #name: string;
  readonly #options: ResolvedManagerOptions;
  readonly #admission: Admission;
  readonly #metrics: ManagerMetrics;
  readonly #lifecycle: HandlerLifecycle;

  constructor(
    options: ResolvedManagerOptions,
    admission: Admission,
    metrics: ManagerMetrics,
    lifecycle: HandlerLifecycle,
  ) {
    this.#name = options.name;
    this.#options = options;
    this.#admission = admission;
    this.#metrics = metrics;
    this.#lifecycle = lifecycle;
  }

  /** Admits a request (`replyLength` -1: framed) and settles it. */
  submit(
    payload: Uint8Array,
    replyLength: number,
    given: ManagerRequestOptions | null | undefined,
  ): Promise<Uint8Array> {
    const name = this.#name;
    let options: CheckedRequestOptions;
    try {
      options = checkRequestOptions(given, payload, name);
    } catch (error) {
      return Promise.reject(error);
    }
    const settled = this.submitChecked(payload, replyLength, options, undefined);
    return options.release === undefined ? settled : settled.finally(options.release);
  }

  /**
   * {@link RequestPath.submit} with options already checked; `since` is when the default
   * timeout started counting (a pool's call, before its queue), `undefined` for now.
   */
  submitChecked(
    payload: Uint8Array,
    replyLength: number,
    options: CheckedRequestOptions,
    since: number | undefined,
  ): Promise<Uint8Array> {
    const name = this.#name;
    if (this.#lifecycle.stopping) return Promise.reject(stoppedError(name));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal, name));
    const h = this.#lifecycle.handler;
    const refused = this.#admission.refusal(payload.byteLength, h?.channel.bufferedBytes ?? 0);
    if (refused !== undefined) return Promise.reject(refused);
    const t0 = performance.now();
    // An explicit timeoutMs is the channel's per-request timer; the default one is watched by
    // the handler's watchdog (no timer per request). NO_TIMEOUT turns both off.
    const timeoutMs = options.timeoutMs === NO_TIMEOUT ? undefined : options.timeoutMs;
    const deadline =
      options.timeoutMs === undefined && this.#options.requestTimeoutMs !== undefined
        ? (since ?? t0) + this.#options.requestTimeoutMs
        : undefined;
    this.#metrics.requested(payload.length);
    this.#admission.entered();
    // Fast path: a ready handler of the right mode and a free slot: no timers, controllers or extra async frames.
    return h?.ready &&
      !h.faulted &&
      replyLength >= 0 === (h.mode === 'raw') &&
      this.#admission.tryAcquire()
      ? this.#exchange(h, payload, replyLength, options, timeoutMs, deadline, t0)
      : this.#submitSlow(payload, replyLength, options, timeoutMs, deadline, t0);
  }

  /** Waits (bounded by the caller's signal and timeout) for a ready handler and a slot, then exchanges. */
  async #submitSlow(
    payload: Uint8Array,
    replyLength: number,
    options: CheckedRequestOptions,
    explicitTimeoutMs: number | undefined,
    deadline: number | undefined,
    t0: number,
  ): Promise<Uint8Array> {
    const name = this.#name;
    const signal = options.signal;
    const timeoutMs =
      explicitTimeoutMs ?? (deadline === undefined ? undefined : this.#options.requestTimeoutMs);
    // The default timeout counts from its deadline's start (a pool's call may be earlier).
    const since =
      explicitTimeoutMs === undefined && deadline !== undefined
        ? deadline - this.#options.requestTimeoutMs!
        : t0;
    // A clearable timer, not AbortSignal.timeout(): that one would live on for the whole
    // timeout after the request got its slot.
    const wait = new AbortController();
    const onAbort = () => wait.abort(abortError(signal!, name));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => wait.abort(waitTimeoutError(this.#name, timeoutMs, 'the handler')),
            Math.max(0, timeoutMs - (t0 - since)),
          );
    const aborted = whenAborted(wait.signal);
    aborted.catch(() => undefined);
    const bytes = payload.byteLength;
    let exchanging: Promise<Uint8Array>;
    this.#admission.waiting(bytes);
    try {
      for (;;) {
        if (this.#lifecycle.stopping) throw stoppedError(name);
        const h = await Promise.race([this.#lifecycle.ensureRunning(), aborted]);
        if (replyLength >= 0 !== (h.mode === 'raw')) {
          throw new UmdError(
            UmdErrorCode.INVALID_ARGUMENT,
            `${name}: the handler speaks ${h.mode} mode; use ${h.mode === 'raw' ? 'requestRaw()' : 'request()'}`,
            { handlerName: name },
          );
        }
        await this.#admission.acquire(wait.signal);
        if (this.#lifecycle.stopping) {
          this.#admission.release();
          throw stoppedError(name);
        }
        // The handler may have failed while we waited for the slot: never send to it, start a fresh one.
        if (h !== this.#lifecycle.handler || h.faulted || !h.ready) {
          this.#admission.release();
          continue;
        }
        const remaining =
          timeoutMs === undefined ? undefined : Math.floor(timeoutMs - (performance.now() - since));
        if (remaining !== undefined && remaining < 1) {
          // The deadline passed while waiting: fail without sending (not the handler's fault).
          this.#admission.release();
          throw waitTimeoutError(this.#name, timeoutMs!, 'the handler');
        }
        const explicit = explicitTimeoutMs === undefined ? undefined : remaining;
        exchanging = this.#exchange(h, payload, replyLength, options, explicit, deadline, t0);
        break;
      }
    } catch (error) {
      this.#settledWith(payload, error, t0);
      throw error;
    } finally {
      this.#admission.waiting(-bytes);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    return exchanging;
  }

  /** Sends on a held slot (the mode was checked) and releases the slot; maps failures to their fault report. */
  #exchange(
    h: ActiveHandler,
    payload: Uint8Array,
    replyLength: number,
    callerOptions: CheckedRequestOptions,
    timeoutMs: number | undefined,
    deadline: number | undefined,
    t0: number,
  ): Promise<Uint8Array> {
    const watched = deadline === undefined ? undefined : h.watchdog.watch(deadline);
    const { signal, replyInto } = callerOptions;
    // The caller's signal and buffer; the timeout is the manager's (what is left of it after
    // queueing). The common request has none of them: no object made for it.
    let options = NO_REPLY_OPTIONS;
    if (timeoutMs !== undefined || signal !== undefined || replyInto !== undefined) {
      options = { timeoutMs };
      if (signal !== undefined) options.signal = signal;
      if (replyInto !== undefined) options.replyInto = replyInto;
    }
    const sent =
      replyLength >= 0
        ? (h.channel as RawChannel).exchange(payload, replyLength, options)
        : (h.channel as FramedChannel).request(payload, options);
    const check = callerOptions.checkReply;
    // When the call's time is up, for its reply check (only computed for a call that has one).
    const endsAt =
      check === undefined || timeoutMs === undefined ? deadline : performance.now() + timeoutMs;
    return sent.then(
      (reply) => {
        if (watched) h.watchdog.unwatch(watched);
        this.#admission.release();
        if (check !== undefined)
          return this.#checked(h, payload, reply, check, callerOptions, endsAt, t0);
        this.#succeeded(h, payload, reply, t0);
        return reply;
      },
      (error: unknown) => {
        if (watched) h.watchdog.unwatch(watched);
        const report = this.#lifecycle.faults.classify(h, error, watched?.timedOut === true);
        this.#admission.release();
        return this.#failed(payload, report, t0);
      },
    );
  }

  /**
   * Runs the caller's `checkReply` (the handler is done with the request: its slot is free), up
   * to the call's signal and timeout (`endsAt`); a reply it refuses is the handler's fault (fail-stop).
   */
  async #checked(
    h: ActiveHandler,
    payload: Uint8Array,
    reply: Uint8Array,
    check: (reply: Uint8Array) => unknown,
    { signal, timeoutMs }: CheckedRequestOptions,
    endsAt: number | undefined,
    t0: number,
  ): Promise<Uint8Array> {
    const name = this.#name;
    const totalMs = timeoutMs ?? this.#options.requestTimeoutMs ?? 0;
    const msLeft = endsAt === undefined ? undefined : endsAt - performance.now();
    const timedOut = () => waitTimeoutError(name, totalMs, 'checkReply');
    const outcome = await withinCallBounds(() => check(reply), signal, msLeft, timedOut, name);
    if ('failed' in outcome) {
      const report = this.#lifecycle.faults.invalidReply(h, outcome.failed);
      return this.#failed(payload, report, t0);
    }
    if ('cutShort' in outcome) {
      this.#settledWith(payload, outcome.cutShort, t0);
      throw outcome.cutShort;
    }
    this.#succeeded(h, payload, reply, t0);
    return reply;
  }

  /** A reply reached its caller (the slot was released when it arrived). */
  #succeeded(h: ActiveHandler, payload: Uint8Array, reply: Uint8Array, t0: number): void {
    if (h.blobPending) {
      h.blobPending = false;
      void h.process.removeBlob();
    }
    this.#metrics.replied(payload, reply, t0);
    this.#admission.left();
  }

  /** A sent request failed: counted now, settled (caller and diagnostics alike) with its `report`. */
  #failed(payload: Uint8Array, report: Promise<UmdError>, t0: number): Promise<never> {
    this.#metrics.failed();
    this.#admission.left();
    return report.then((error) => {
      this.#metrics.ended(payload, error, t0);
      throw error;
    });
  }

  /** A request that failed before it was sent. */
  #settledWith(payload: Uint8Array, error: unknown, t0: number): void {
    this.#metrics.failed();
    this.#admission.left();
    this.#metrics.ended(payload, error, t0);
  }
}
