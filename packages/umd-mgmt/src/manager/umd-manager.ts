import { EventEmitter } from 'node:events';
import {
  FramedChannel,
  type Hello,
  isUmdError,
  RawChannel,
  type ReplyOptions,
  UmdError,
  UmdErrorCode,
} from '@umd/core';
import { unwrapLoader } from '../loader/define-loader.js';
import type { HandlerSession, Loader } from '../loader/loader-types.js';
import type { ContainmentKind } from '../process/containment.js';
import { type ExitInfo, HandlerProcess } from '../process/handler-process.js';
import { debug } from '../observability/debug-log.js';
import { channels } from '../observability/diagnostics.js';
import { abortError, givenUpByCaller } from './abort-reason.js';
import { DeadlineWatchdog } from './deadline-watchdog.js';
import { IdleTimer } from './idle-timer.js';
import { LatencyRecorder, type LatencySummary } from './latency-stats.js';
import {
  type ResolvedManagerOptions,
  resolveManagerOptions,
  type UmdManagerOptions,
} from './manager-options.js';
import type { ManagerRequestOptions } from './request-options.js';
import { RestartBudget } from './restart-budget.js';
import { OnceWaiters } from './once-waiters.js';
import { SlotQueue } from './slot-queue.js';
import {
  type CheckedRequestOptions,
  checkObject,
  checkRequestOptions,
  checkSignal,
  checkTimeout,
  invalidArgument,
  NO_TIMEOUT,
} from './validate-options.js';
import { stderrCause } from '../process/stderr-cause.js';

/** Lifecycle state of a {@link UmdManager}. */
export type UmdManagerState =
  | 'idle'
  | 'loading'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'failed';

/** What {@link UmdManager.stats} returns. Counters start at construction. */
export interface UmdManagerStats {
  /** Lifecycle state at the time of the call. */
  state: UmdManagerState;
  /** Pid of the running handler, if any. */
  pid: number | undefined;
  /** Containment of the running handler (see `sandbox.containment`), if any. */
  containment: ContainmentKind | undefined;
  /** Handler processes spawned. */
  starts: number;
  /** Starts that replaced a handler which had failed (crash, kill after a fault, failed start). */
  restarts: number;
  /** Requests accepted (not counting those refused at once with `UMD_QUEUE_FULL`, `UMD_STOPPED` or a bad argument). */
  requests: number;
  /** Requests that got a reply. */
  replies: number;
  /** Requests that ended in an error (including handler ERROR replies). */
  failures: number;
  /** Requests sent and not yet answered. */
  inFlight: number;
  /** Requests waiting for a slot or for the handler to start. */
  queued: number;
  /** Request bytes not yet written to the handler (bounded by `maxQueuedBytes`). */
  queuedBytes: number;
  /** Request payload bytes sent to handlers. */
  bytesSent: number;
  /** Reply payload bytes received from handlers. */
  bytesReceived: number;
  /**
   * Handler stderr lines not emitted as `stderr` events: over 1000 lines a second, the rest
   * are counted here (the last `stderrTailLines` still go into error reports).
   */
  stderrLinesDropped: number;
  /** Latency of the most recent successful requests (call to reply, queueing and start included). */
  latency: LatencySummary;
}

/** Payload of the `exit` event. */
export interface UmdExitEvent {
  /** Pid of the handler that exited. */
  pid: number;
  /** Its exit status, or `null` when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, or `null`. */
  signal: NodeJS.Signals | null;
  /** True when the manager asked for it (stop, unload); false for a crash or a kill after a fault. */
  expected: boolean;
}

/** Events of {@link UmdManager} and their arguments. */
export interface UmdManagerEvents {
  load: [{ name: string }];
  unload: [{ name: string }];
  start: [{ pid: number }];
  ready: [{ pid: number; hello: Hello | undefined; containment: ContainmentKind }];
  exit: [UmdExitEvent];
  restart: [{ pid: number; previousPid: number | undefined }];
  stderr: [line: string, pid: number];
  error: [error: UmdError];
  idle: [{ pid: number }];
}

/** Events a caller may await with `events.once` (see {@link OnceWaiters}). */
const LIFECYCLE_EVENTS = ['load', 'unload', 'start', 'ready', 'exit', 'restart', 'idle'];

/** One handler generation: a process, its channel, and what the manager knows about it. */
interface ActiveHandler {
  readonly process: HandlerProcess;
  readonly mode: 'framed' | 'raw';
  readonly channel: FramedChannel | RawChannel;
  /** Enforces the manager's default request timeout for this handler's requests. */
  readonly watchdog: DeadlineWatchdog;
  hello: Hello | undefined;
  ready: boolean;
  /** A fault was seen: nothing more is sent to it, it is being killed. */
  faulted: boolean;
  /** The manager is stopping it on purpose. */
  expected: boolean;
  /** Raw handlers without postStart: the blob copy goes after the first reply. */
  blobPending: boolean;
  /** The error reported for its end (a fault), once known. */
  faultReason: UmdError | undefined;
}

// Codes that say something about one request, not about the handler's health.
const REQUEST_LEVEL = new Set<string>([
  UmdErrorCode.HANDLER_ERROR,
  UmdErrorCode.TOO_LARGE,
  UmdErrorCode.INVALID_ARGUMENT,
]);

/** `promise`, or its signal's abort, whichever comes first; leaves no listener on the signal. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** Rejects when `signal` aborts; never resolves. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

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
  readonly #slots: SlotQueue;
  readonly #budget: RestartBudget;
  readonly #latency = new LatencyRecorder();
  #state: UmdManagerState = 'idle';
  #loader: Loader | undefined;
  #loading: Promise<Loader> | undefined;
  #handler: ActiveHandler | undefined;
  #startingHandler: ActiveHandler | undefined;
  #starting: Promise<ActiveHandler> | undefined;
  #startAbort: AbortController | undefined;
  /** Every handler process not yet exited, including failed ones still being killed. */
  readonly #live = new Set<ActiveHandler>();
  #stopping: Promise<void> | undefined;
  #lastPid: number | undefined;
  #lastEndedInFault = false;
  #pending = 0;
  /** Payload bytes of requests waiting for a handler or a slot (not yet given to a channel). */
  #waitingBytes = 0;
  /** One-shot waits on lifecycle events keep the handler referenced, as pending requests do. */
  readonly #waiters = new OnceWaiters(this, LIFECYCLE_EVENTS, () => this.#updateReferenced());
  readonly #idle: IdleTimer | undefined;
  #stats = {
    starts: 0,
    restarts: 0,
    requests: 0,
    replies: 0,
    failures: 0,
    bytesSent: 0,
    bytesReceived: 0,
    stderrLinesDropped: 0,
  };

  /** @throws UmdError `UMD_INVALID_ARGUMENT` for bad options. Nothing is imported or spawned here. */
  constructor(options: UmdManagerOptions) {
    super();
    this.#options = resolveManagerOptions(options);
    this.#slots = new SlotQueue(this.#options.maxInFlight, Infinity);
    this.#budget = new RestartBudget(this.#options.restartBudget);
    const idleMs = this.#options.idleTimeoutMs;
    this.#idle = idleMs === undefined ? undefined : new IdleTimer(idleMs, () => this.#retireIdle());
  }

  /** `await using manager = new UmdManager(...)`: {@link UmdManager.stop} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Current lifecycle state. */
  get state(): UmdManagerState {
    return this.#state;
  }

  /** Pid of the running (or starting) handler, if any. */
  get pid(): number | undefined {
    return (this.#handler ?? this.#startingHandler)?.process.pid;
  }

  /** The driver's name. */
  get name(): string {
    return this.#options.name;
  }

  /**
   * Framed drivers: sends `payload` and resolves with the handler's reply. Starts the handler
   * first if needed. Rejects with a {@link UmdError}; see the README for every code.
   * `options.replyInto` reads a reply that fits into your buffer instead of a fresh one (see `ReplyOptions`).
   */
  request(payload: Uint8Array, options?: ManagerRequestOptions | null): Promise<Uint8Array> {
    return this.#submit(payload, -1, options);
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
    return this.#submit(payload, replyLength, options);
  }

  /** Loads the loader and starts the handler now (otherwise the first request does). Resolves once it is ready. */
  async start(options?: { signal?: AbortSignal } | null): Promise<void> {
    const owner = this.#options.name;
    const signal = checkSignal(
      checkObject<{ signal?: unknown }>(options, 'options', owner).signal,
      owner,
    );
    if (this.#isStopping()) throw this.#stoppedError();
    if (signal?.aborted) throw abortError(signal, this.#options.name);
    // (A starting handler keeps the host alive by itself until it is ready.)
    try {
      await untilAborted(this.#ensureRunning(), signal);
    } catch (error) {
      throw signal?.aborted ? abortError(signal, this.#options.name) : error;
    }
  }

  /**
   * Stops the handler: pending and queued requests reject with `UMD_STOPPED`, then stdin is
   * closed, `graceMs` later the process group gets SIGTERM, `graceMs` after that SIGKILL.
   * Idempotent. The manager stays usable: a later request starts a fresh handler.
   */
  stop(options?: { graceMs?: number } | null): Promise<void> {
    const owner = this.#options.name;
    let graceMs: number;
    try {
      const given = checkObject<{ graceMs?: unknown }>(options, 'options', owner);
      graceMs = checkTimeout(given.graceMs, 'graceMs', owner, this.#options.stopGraceMs, {
        min: 0,
      });
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#stopping) return this.#stopping;
    const stopped = new UmdError(
      UmdErrorCode.STOPPED,
      `${this.#options.name}: the manager was stopped`,
      { handlerName: this.#options.name },
    );
    const previous = this.#state;
    if ((previous === 'idle' || previous === 'stopped') && this.#live.size === 0)
      return Promise.resolve();
    this.#state = 'stopping';
    this.#stopping = (async () => {
      this.#slots.failWaiters(stopped);
      this.#startAbort?.abort(stopped);
      const handlers = [this.#handler, this.#startingHandler].filter(
        (h): h is ActiveHandler => h !== undefined,
      );
      this.#handler = undefined;
      for (const h of handlers) {
        h.expected = true;
        h.watchdog.clear();
        h.channel.close(stopped);
      }
      await Promise.all(handlers.map((h) => h.process.stop(graceMs)));
      await this.#starting?.catch(() => undefined);
      await this.#loading?.catch(() => undefined);
      // Failed handlers were SIGKILLed already: wait until they are really gone.
      await Promise.all([...this.#live].map((h) => h.process.exited));
      this.#state = previous === 'idle' ? 'idle' : 'stopped';
      // The budget catches crash loops; a deliberate stop ends any loop, so the next start is not a restart.
      this.#budget.reset();
      debug('%s: stopped', this.#options.name);
    })().finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  /** Stops the handler and forgets the loader (the kernel's rmmod of the loader): the next request imports it again. */
  async unload(): Promise<void> {
    await this.stop();
    const loader = this.#loader;
    this.#loader = undefined;
    this.#loading = undefined;
    this.#lastEndedInFault = false;
    this.#state = 'idle';
    if (loader) this.emit('unload', { name: loader.name });
  }

  /**
   * Forgets recorded starts, so a manager in `UMD_CRASH_LOOP` may start again at once.
   * `stop()` and `unload()` do this too: starts after a deliberate stop are not crash restarts.
   */
  resetRestartBudget(): void {
    this.#budget.reset();
  }

  /** Counters, current queue and a latency summary. */
  stats(): UmdManagerStats {
    return {
      state: this.#state,
      pid: this.pid,
      containment: (this.#handler ?? this.#startingHandler)?.process.containment,
      ...this.#stats,
      inFlight: this.#slots.held,
      queued: this.#pending - this.#slots.held,
      queuedBytes: this.#queuedBytes(),
      latency: this.#latency.summary(),
    };
  }

  // ---- request path -------------------------------------------------------------------

  #submit(
    payload: Uint8Array,
    replyLength: number,
    given: ManagerRequestOptions | null | undefined,
  ): Promise<Uint8Array> {
    const owner = this.#options.name;
    if (!(payload instanceof Uint8Array))
      return Promise.reject(invalidArgument(owner, 'payload must be a Uint8Array'));
    let options: CheckedRequestOptions;
    try {
      options = checkRequestOptions(given, payload, owner);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#isStopping()) return Promise.reject(this.#stoppedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal, this.#options.name));
    if (this.#pending >= this.#options.maxInFlight + this.#options.maxQueue) {
      return Promise.reject(
        new UmdError(
          UmdErrorCode.QUEUE_FULL,
          `${this.#options.name}: ${this.#options.maxQueue} requests already wait`,
          { handlerName: this.#options.name },
        ),
      );
    }
    const queuedBytes = this.#queuedBytes();
    if (queuedBytes > 0 && queuedBytes + payload.byteLength > this.#options.maxQueuedBytes) {
      return Promise.reject(
        new UmdError(
          UmdErrorCode.QUEUE_FULL,
          `${this.#options.name}: ${queuedBytes} request bytes already wait to be written to the handler; ${payload.byteLength} more would pass maxQueuedBytes (${this.#options.maxQueuedBytes})`,
          { handlerName: this.#options.name },
        ),
      );
    }
    const t0 = performance.now();
    // An explicit timeoutMs is the channel's per-request timer; the default one is watched by
    // the handler's watchdog (no timer per request). NO_TIMEOUT turns both off.
    const timeoutMs = options.timeoutMs === NO_TIMEOUT ? undefined : options.timeoutMs;
    const deadline =
      options.timeoutMs === undefined && this.#options.requestTimeoutMs !== undefined
        ? t0 + this.#options.requestTimeoutMs
        : undefined;
    this.#stats.requests++;
    this.#pendingChanged(+1);
    if (channels.requestStart.hasSubscribers)
      channels.requestStart.publish({ manager: this.#options.name, bytes: payload.length });
    const h = this.#handler;
    // Fast path: a ready handler of the right mode and a free slot: no timers, controllers or extra async frames.
    return h?.ready &&
      !h.faulted &&
      replyLength >= 0 === (h.mode === 'raw') &&
      this.#slots.tryAcquire()
      ? this.#exchange(h, payload, replyLength, options, timeoutMs, deadline, t0)
      : this.#submitSlow(payload, replyLength, options, timeoutMs, deadline, t0);
  }

  /** Request bytes not yet written to the handler: waiting here for it or a slot, and in its channel. */
  #queuedBytes(): number {
    return this.#waitingBytes + (this.#handler?.channel.bufferedBytes ?? 0);
  }

  /** Accounting of a request that got its reply. */
  #replied(payload: Uint8Array, reply: Uint8Array, t0: number): void {
    const ms = performance.now() - t0;
    this.#stats.replies++;
    this.#stats.bytesSent += payload.length;
    this.#stats.bytesReceived += reply.length;
    this.#latency.record(ms);
    this.#pendingChanged(-1);
    if (channels.requestEnd.hasSubscribers)
      channels.requestEnd.publish({
        manager: this.#options.name,
        bytes: payload.length,
        durationMs: ms,
        error: undefined,
      });
  }

  /** Accounting of a request that failed (the error may still be completed with exit details). */
  #failed(payload: Uint8Array, error: unknown, t0: number): void {
    this.#stats.failures++;
    this.#pendingChanged(-1);
    if (channels.requestEnd.hasSubscribers) {
      channels.requestEnd.publish({
        manager: this.#options.name,
        bytes: payload.length,
        durationMs: performance.now() - t0,
        error,
      });
    }
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
    const signal = options.signal;
    const timeoutMs =
      explicitTimeoutMs ?? (deadline === undefined ? undefined : this.#options.requestTimeoutMs);
    const wait = new AbortController();
    const onAbort = () => wait.abort(abortError(signal!, this.#options.name));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            wait.abort(
              new UmdError(
                UmdErrorCode.TIMEOUT,
                `${this.#options.name}: no reply within ${timeoutMs} ms (still waiting for the handler)`,
                { timedOut: true, handlerName: this.#options.name },
              ),
            );
          }, timeoutMs);
    const aborted = whenAborted(wait.signal);
    aborted.catch(() => undefined);
    let exchanging: Promise<Uint8Array>;
    this.#waitingBytes += payload.byteLength;
    try {
      for (;;) {
        if (this.#isStopping()) throw this.#stoppedError();
        const h = await Promise.race([this.#ensureRunning(), aborted]);
        if (replyLength >= 0 !== (h.mode === 'raw')) {
          throw new UmdError(
            UmdErrorCode.INVALID_ARGUMENT,
            `${this.#options.name}: the handler speaks ${h.mode} mode; use ${h.mode === 'raw' ? 'requestRaw()' : 'request()'}`,
            { handlerName: this.#options.name },
          );
        }
        await this.#slots.acquire(wait.signal);
        if (this.#isStopping()) {
          this.#slots.release();
          throw this.#stoppedError();
        }
        // The handler may have failed while we waited for the slot: never send to it, start a fresh one.
        if (h !== this.#handler || h.faulted || !h.ready) {
          this.#slots.release();
          continue;
        }
        const remaining =
          timeoutMs === undefined ? undefined : Math.floor(timeoutMs - (performance.now() - t0));
        if (remaining !== undefined && remaining < 1) {
          // The deadline passed while waiting: fail without sending (not the handler's fault).
          this.#slots.release();
          throw new UmdError(
            UmdErrorCode.TIMEOUT,
            `${this.#options.name}: no reply within ${timeoutMs} ms (still waiting for the handler)`,
            { timedOut: true, handlerName: this.#options.name },
          );
        }
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        exchanging = this.#exchange(
          h,
          payload,
          replyLength,
          options,
          explicitTimeoutMs === undefined ? undefined : remaining,
          deadline,
          t0,
        );
        break;
      }
    } catch (error) {
      this.#failed(payload, error, t0);
      throw error;
    } finally {
      this.#waitingBytes -= payload.byteLength;
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
    // The caller's signal and buffer; the timeout is the manager's (what is left of it after queueing).
    const options: ReplyOptions = { timeoutMs };
    if (signal !== undefined) options.signal = signal;
    if (replyInto !== undefined) options.replyInto = replyInto;
    const sent =
      replyLength >= 0
        ? (h.channel as RawChannel).exchange(payload, replyLength, options)
        : (h.channel as FramedChannel).request(payload, options);
    const check = callerOptions.checkReply;
    return sent.then(
      (reply) => {
        if (watched) h.watchdog.unwatch(watched);
        if (check !== undefined) return this.#checked(h, payload, reply, check, t0);
        this.#succeeded(h, payload, reply, t0);
        return reply;
      },
      (error: unknown) => {
        if (watched) {
          h.watchdog.unwatch(watched);
          // The watchdog killed the handler for this request: report the timeout, not the kill.
          if (watched.timedOut) {
            error = new UmdError(
              UmdErrorCode.TIMEOUT,
              `${this.#options.name}: no reply within ${this.#options.requestTimeoutMs} ms`,
              {
                cause: error,
                timedOut: true,
                requestId: isUmdError(error) ? error.requestId : undefined,
              },
            );
          }
        }
        const report = this.#classify(h, error);
        this.#slots.release();
        this.#failed(payload, error, t0);
        return report.then((e) => Promise.reject(e));
      },
    );
  }

  #succeeded(h: ActiveHandler, payload: Uint8Array, reply: Uint8Array, t0: number): void {
    this.#slots.release();
    if (h.blobPending) {
      h.blobPending = false;
      void h.process.removeBlob();
    }
    this.#replied(payload, reply, t0);
  }

  /** Runs the caller's `checkReply`; a reply it refuses is the handler's fault (fail-stop). */
  async #checked(
    h: ActiveHandler,
    payload: Uint8Array,
    reply: Uint8Array,
    check: (reply: Uint8Array) => unknown,
    t0: number,
  ): Promise<Uint8Array> {
    try {
      await check(reply);
    } catch (cause) {
      const err = new UmdError(
        UmdErrorCode.INVALID_REPLY,
        `${this.#options.name}: handler (pid ${h.process.pid}) sent an invalid reply: ${(cause as Error)?.message}`,
        { cause, handlerName: this.#options.name, pid: h.process.pid },
      );
      this.#fault(h, err);
      this.#slots.release();
      this.#failed(payload, err, t0);
      throw await this.#withExitDetails(h, err);
    }
    this.#succeeded(h, payload, reply, t0);
    return reply;
  }

  /**
   * Decides synchronously whether a failed exchange is a fault of the handler (then it is
   * marked and killed before the slot goes to the next request), and returns the error the
   * caller gets: with exit code, signal and stderr tail once the handler is gone.
   */
  #classify(h: ActiveHandler, error: unknown): Promise<UmdError> {
    const err = isUmdError(error)
      ? error
      : new UmdError(
          UmdErrorCode.HANDLER_EXITED,
          `${this.#options.name}: exchange failed: ${(error as Error)?.message}`,
          { cause: error },
        );
    if (err.code === UmdErrorCode.STOPPED) return Promise.resolve(err);
    if (h.expected) return Promise.resolve(this.#stoppedError(err));
    if (REQUEST_LEVEL.has(err.code)) return Promise.resolve(err);
    // Framed: a request its caller gave up on (an abort, or a signal that timed out) was
    // cancelled with a CANCEL frame; the handler is fine.
    if (givenUpByCaller(err) && h.mode === 'framed' && !h.channel.closed)
      return Promise.resolve(err);
    const why =
      err.code === UmdErrorCode.TIMEOUT
        ? `a request timed out`
        : err.code === UmdErrorCode.PROTOCOL
          ? `it broke the protocol`
          : `its channel failed`;
    this.#fault(
      h,
      new UmdError(
        UmdErrorCode.HANDLER_EXITED,
        `${this.#options.name}: handler (pid ${h.process.pid}) killed: ${why}`,
        { cause: err },
      ),
    );
    return this.#withExitDetails(h, err);
  }

  async #withExitDetails(h: ActiveHandler, err: UmdError): Promise<UmdError> {
    const info = await h.process.exited;
    if (h.expected) return this.#stoppedError(err);
    const keep =
      err.code === UmdErrorCode.TIMEOUT ||
      err.code === UmdErrorCode.PROTOCOL ||
      err.code === UmdErrorCode.INVALID_REPLY ||
      err.code === UmdErrorCode.ABORTED;
    const code = keep ? err.code : UmdErrorCode.HANDLER_EXITED;
    const message = keep
      ? `${err.message} (handler pid ${h.process.pid} killed)`
      : `${this.#options.name}: handler (pid ${h.process.pid}) ${describeExit(info)} while the request was pending`;
    return new UmdError(code, message, {
      cause: err,
      requestId: err.requestId,
      exitCode: info.exitCode,
      signal: info.signal,
      stderrTail: h.process.stderrTail(),
      timedOut: err.timedOut,
      handlerName: this.#options.name,
      pid: h.process.pid,
    });
  }

  /** Fail-stop: this handler gets nothing more; kill its group; fail whatever else it had in flight. */
  #fault(h: ActiveHandler, reason: UmdError): void {
    if (h.faulted || h.expected) return;
    h.faulted = true;
    h.faultReason = reason;
    h.watchdog.clear();
    if (this.#handler === h) {
      this.#handler = undefined;
      if (this.#state === 'running') this.#state = 'failed';
    }
    this.#lastEndedInFault = true;
    debug('%s: fault on pid %d: %s', this.#options.name, h.process.pid, reason.message);
    h.process.kill('SIGKILL');
    h.channel.close(reason);
  }

  // ---- lifecycle -----------------------------------------------------------------------

  #ensureRunning(): Promise<ActiveHandler> {
    if (this.#isStopping()) return Promise.reject(this.#stoppedError());
    const h = this.#handler;
    if (h?.ready && !h.faulted) return Promise.resolve(h);
    if (this.#starting) return this.#starting;
    const starting = this.#startHandler();
    this.#starting = starting;
    const clear = () => {
      if (this.#starting === starting) this.#starting = undefined;
    };
    starting.then(clear, clear);
    return starting;
  }

  #load(): Promise<Loader> {
    if (this.#loader) return Promise.resolve(this.#loader);
    this.#loading ??= (async () => {
      const source = this.#options.loader;
      let value: unknown;
      try {
        value = typeof source === 'function' ? await source() : source;
      } catch (cause) {
        throw new UmdError(
          UmdErrorCode.LOADER,
          `${this.#options.name}: cannot import the loader: ${(cause as Error)?.message}`,
          {
            cause,
            handlerName: this.#options.name,
          },
        );
      }
      const loader = unwrapLoader(value, this.#options.name);
      this.#loader = loader;
      debug(
        '%s: loaded loader %s (%s, %s)',
        this.#options.name,
        loader.name,
        loader.kind,
        loader.mode,
      );
      this.emit('load', { name: loader.name });
      return loader;
    })();
    const loading = this.#loading;
    loading.catch(() => {
      if (this.#loading === loading) this.#loading = undefined;
    });
    return loading;
  }

  async #startHandler(): Promise<ActiveHandler> {
    const name = this.#options.name;
    const abort = new AbortController();
    this.#startAbort = abort;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(
        new UmdError(
          UmdErrorCode.TIMEOUT,
          `${name}: the handler did not start within ${this.#options.startTimeoutMs} ms`,
          { timedOut: true, handlerName: name },
        ),
      );
    }, this.#options.startTimeoutMs);
    const aborted = whenAborted(abort.signal);
    aborted.catch(() => undefined);
    const step = <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, aborted]);
    let h: ActiveHandler | undefined;
    let spawning: Promise<HandlerProcess> | undefined;
    try {
      if (!this.#loader) this.#state = 'loading';
      const loader = await step(this.#load());
      // A predecessor's exit is reported before its successor starts (events in causal order,
      // never two generations alive at once); its cleanup is bounded by the start timeout.
      await step(Promise.all([...this.#live].map((old) => old.process.exited)));
      if (!this.#budget.tryTake()) {
        const waitMs = Math.ceil(this.#budget.msUntilNextStart());
        throw new UmdError(
          UmdErrorCode.CRASH_LOOP,
          `${name}: ${this.#options.restartBudget.maxStarts} starts within ${this.#options.restartBudget.windowMs} ms; not starting again for ${waitMs} ms (or until resetRestartBudget())`,
          { handlerName: name, pid: this.#lastPid },
        );
      }
      this.#state = 'starting';
      spawning = HandlerProcess.start({
        loader,
        env: this.#options.env,
        sandbox: this.#options.sandbox,
        stagingDir: this.#options.stagingDir,
        maxBlobBytes: this.#options.maxBlobBytes,
        replySocket: this.#options.transport.replySocket,
        tuneAllocator: this.#options.transport.tuneAllocator,
        stderrTailLines: this.#options.stderrTailLines,
        onStderrLine: (line, pid) => {
          debug('%s[%d] stderr: %s', name, pid, line);
          if (this.listenerCount('stderr') > 0) this.emit('stderr', line, pid);
        },
        onStderrDropped: (lines) => {
          this.#stats.stderrLinesDropped += lines;
        },
      });
      const proc = await step(spawning);
      h = this.#adopt(proc, loader);
      await this.#handshake(h, loader, step);
      // A fault in the same read as HELLO (a flood of unasked frames) arrives after HELLO resolved.
      if (h.faulted) throw h.faultReason;
      h.ready = true;
      this.#startingHandler = undefined;
      this.#handler = h;
      this.#state = 'running';
      if (this.#pending === 0) {
        proc.setReferenced(this.#waiters.waiting);
        this.#idle?.idle();
      }
      debug('%s: handler pid %d ready', name, proc.pid);
      if (channels.ready.hasSubscribers)
        channels.ready.publish({ manager: name, pid: proc.pid, hello: h.hello });
      this.emit('ready', { pid: proc.pid, hello: h.hello, containment: proc.containment });
      return h;
    } catch (error) {
      if (h === undefined && spawning !== undefined) {
        // Aborted (stop, timeout) while spawning: the process may still appear; reap it before reporting.
        const late = await spawning.catch(() => undefined);
        if (late) {
          late.kill('SIGKILL');
          await late.exited;
        }
      }
      const failure = await this.#startFailure(h, error, timedOut, abort.signal);
      if (this.#state !== 'stopping') this.#state = 'failed';
      this.#lastEndedInFault = true;
      this.#reportError(failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      if (this.#startAbort === abort) this.#startAbort = undefined;
    }
  }

  /** Wires a freshly spawned process: channel, exit watch, events. */
  #adopt(proc: HandlerProcess, loader: Loader): ActiveHandler {
    const name = this.#options.name;
    const replySocket = proc.replySocket ? { replySocket: proc.replySocket } : {};
    const channel =
      loader.mode === 'framed'
        ? FramedChannel.fromChild(proc.child, {
            maxInFlight: this.#options.maxInFlight,
            ...(this.#options.maxPayload !== undefined
              ? { maxPayload: this.#options.maxPayload }
              : {}),
            ...replySocket,
          })
        : RawChannel.fromChild(proc.child, {
            ...(this.#options.maxPayload !== undefined
              ? { maxReply: this.#options.maxPayload }
              : {}),
            ...replySocket,
          });
    const h: ActiveHandler = {
      process: proc,
      mode: loader.mode,
      channel,
      watchdog: new DeadlineWatchdog(() => {
        this.#fault(
          h,
          new UmdError(
            UmdErrorCode.HANDLER_EXITED,
            `${name}: handler (pid ${proc.pid}) killed: a request got no reply within ${this.#options.requestTimeoutMs} ms`,
          ),
        );
      }),
      hello: undefined,
      ready: false,
      faulted: false,
      expected: false,
      blobPending: false,
      faultReason: undefined,
    };
    this.#startingHandler = h;
    this.#stats.starts++;
    const previousPid = this.#lastPid;
    this.#lastPid = proc.pid;
    if (channels.start.hasSubscribers) channels.start.publish({ manager: name, pid: proc.pid });
    this.emit('start', { pid: proc.pid });
    if (this.#lastEndedInFault) {
      this.#stats.restarts++;
      this.emit('restart', { pid: proc.pid, previousPid });
    }
    this.#lastEndedInFault = false;
    channel.on('close', (reason: UmdError | undefined) => {
      // The channel ended on its own (EOF, protocol violation): fail-stop.
      if (!h.expected && !h.faulted) {
        this.#fault(
          h,
          reason ??
            new UmdError(
              UmdErrorCode.HANDLER_EXITED,
              `${name}: handler (pid ${proc.pid}) closed its output`,
            ),
        );
      }
    });
    this.#live.add(h);
    void proc.exited.then((info) => {
      this.#live.delete(h);
      this.#onExit(h, info);
    });
    return h;
  }

  async #handshake(
    h: ActiveHandler,
    loader: Loader,
    step: <T>(p: Promise<T>) => Promise<T>,
  ): Promise<void> {
    if (h.channel instanceof FramedChannel) {
      h.hello = await step(h.channel.waitForHello());
      // The handler has loaded its blob once it speaks: its private copy can go.
      void h.process.removeBlob();
    }
    const session = this.#session(h);
    if (loader.postStart) await step(loader.postStart(session));
    if (this.#options.postStart) await step(this.#options.postStart(session));
    if (loader.mode === 'raw') {
      if (loader.postStart || this.#options.postStart) await h.process.removeBlob();
      else h.blobPending = true;
    }
  }

  #session(h: ActiveHandler): HandlerSession {
    const name = this.#options.name;
    const wrong = (method: string) =>
      Promise.reject(
        new UmdError(
          UmdErrorCode.INVALID_ARGUMENT,
          `${name}: ${method}() does not exist in ${h.channel instanceof FramedChannel ? 'framed' : 'raw'} mode`,
        ),
      );
    return {
      pid: h.process.pid,
      get hello() {
        return h.hello;
      },
      request: (payload, options) =>
        h.channel instanceof FramedChannel ? h.channel.request(payload, options) : wrong('request'),
      exchange: (request, replyLength, options) =>
        h.channel instanceof RawChannel
          ? h.channel.exchange(request, replyLength, options)
          : wrong('exchange'),
    };
  }

  async #startFailure(
    h: ActiveHandler | undefined,
    error: unknown,
    timedOut: boolean,
    signal: AbortSignal,
  ): Promise<UmdError> {
    const name = this.#options.name;
    const stopped = signal.aborted && isUmdError(signal.reason, UmdErrorCode.STOPPED);
    let err: UmdError;
    if (stopped) err = signal.reason as UmdError;
    else if (timedOut) err = signal.reason as UmdError;
    else if (isUmdError(error)) err = error;
    else
      err = new UmdError(
        UmdErrorCode.START_FAILED,
        `${name}: start failed: ${(error as Error)?.message}`,
        { cause: error, handlerName: name },
      );
    if (h === undefined) return err;
    if (this.#startingHandler === h) this.#startingHandler = undefined;
    if (!h.expected) {
      h.faulted = true;
      h.process.kill('SIGKILL');
      h.channel.close(err);
    }
    const info = await h.process.exited;
    if (stopped) return err;
    const passThrough =
      err.code === UmdErrorCode.TIMEOUT || err.code === UmdErrorCode.BLOB_INTEGRITY;
    const code = passThrough ? err.code : UmdErrorCode.START_FAILED;
    const said = stderrCause(h.process.stderrTail());
    const message = passThrough
      ? err.message
      : `${name}: handler (pid ${h.process.pid}) failed to start: ${err.message}; it ${describeExit(info)}${said === undefined ? '' : `: ${said}`}`;
    return new UmdError(code, message, {
      cause: err,
      exitCode: info.exitCode,
      signal: info.signal,
      stderrTail: h.process.stderrTail(),
      timedOut: timedOut || undefined,
      handlerName: name,
      pid: h.process.pid,
    });
  }

  #onExit(h: ActiveHandler, info: ExitInfo): void {
    const unexpected = !h.expected && !h.faulted;
    if (unexpected) {
      // Exited between requests (or before its channel noticed).
      this.#fault(
        h,
        new UmdError(
          UmdErrorCode.HANDLER_EXITED,
          `${this.#options.name}: handler (pid ${h.process.pid}) ${describeExit(info)}`,
          {
            exitCode: info.exitCode,
            signal: info.signal,
            stderrTail: h.process.stderrTail(),
            pid: h.process.pid,
            handlerName: this.#options.name,
          },
        ),
      );
    }
    const event: UmdExitEvent = {
      pid: h.process.pid,
      exitCode: info.exitCode,
      signal: info.signal,
      expected: h.expected,
    };
    debug('%s: exit %o', this.#options.name, event);
    if (channels.exit.hasSubscribers)
      channels.exit.publish({ manager: this.#options.name, ...event });
    this.emit('exit', event);
    if (!h.expected && h.ready && h.faultReason) {
      this.#reportError(
        new UmdError(h.faultReason.code, h.faultReason.message, {
          cause: h.faultReason.cause,
          exitCode: info.exitCode,
          signal: info.signal,
          stderrTail: h.process.stderrTail(),
          pid: h.process.pid,
          handlerName: this.#options.name,
        }),
      );
    }
  }

  /**
   * `idleTimeoutMs` passed without a request: stop the handler in the background (as `stop()`
   * does, without failing anything: nothing is pending). A request arriving meanwhile starts
   * a fresh handler. Deliberate, so the restart budget is cleared as by `stop()`.
   */
  #retireIdle(): void {
    const h = this.#handler;
    if (h === undefined || !h.ready || h.faulted || this.#pending > 0 || this.#isStopping()) return;
    this.#handler = undefined;
    this.#state = 'stopped';
    h.expected = true;
    h.watchdog.clear();
    h.channel.close(this.#stoppedError());
    this.#budget.reset();
    debug(
      '%s: handler pid %d idle for %d ms, stopping it',
      this.#options.name,
      h.process.pid,
      this.#options.idleTimeoutMs,
    );
    this.emit('idle', { pid: h.process.pid });
    void h.process.stop(this.#options.stopGraceMs);
  }

  #reportError(error: UmdError): void {
    if (channels.error.hasSubscribers)
      channels.error.publish({ manager: this.#options.name, error });
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #isStopping(): boolean {
    return this.#state === 'stopping';
  }

  #stoppedError(cause?: unknown): UmdError {
    return new UmdError(UmdErrorCode.STOPPED, `${this.#options.name}: the manager was stopped`, {
      cause,
      handlerName: this.#options.name,
    });
  }

  /** Keeps the host alive only while requests (or a start) are pending; an idle handler never holds it open. */
  #pendingChanged(delta: 1 | -1): void {
    this.#pending += delta;
    if (this.#pending === 0 || (delta === 1 && this.#pending === 1)) {
      if (this.#pending === 0) this.#idle?.idle();
      else this.#idle?.busy();
      this.#updateReferenced();
    }
  }

  /** The handler keeps the host alive while requests, a start or a once-wait are pending. */
  #updateReferenced(): void {
    const proc = (this.#handler ?? this.#startingHandler)?.process;
    proc?.setReferenced(this.#pending > 0 || this.#waiters.waiting);
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
}

function describeExit(info: ExitInfo): string {
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.exitCode}`;
}
