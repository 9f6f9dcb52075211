import type { EventEmitter } from 'node:events';
import { isUmdError, type UmdError, UmdErrorCode } from '@umd/core';
import type { Loader } from '../loader/loader-types.js';
import { debug } from '../observability/debug-log.js';
import type { ExitInfo, HandlerProcess } from '../process/handler-process.js';
import { whenAborted } from './abort-reason.js';
import { type ActiveHandler, openActiveHandler, spawnHandler } from './active-handler.js';
import { FaultPolicy, stoppedError } from './fault-policy.js';
import { LoaderSlot } from './loader-slot.js';
import type { ManagerMetrics } from './manager-metrics.js';
import type { ResolvedManagerOptions } from './manager-options.js';
import { LifecycleEvents } from './lifecycle-events.js';
import type { UmdManagerEvents, UmdManagerState } from './manager-types.js';
import { postStart, type StartStep } from './post-start-session.js';

/**
 * How long a handler whose output ended before HELLO may take to exit on its own before it is
 * killed (a handler that closes its stdout and stays alive only delays its start failure).
 */
const OUTPUT_END_EXIT_MS = 2000;

/** What the lifecycle needs of the manager around it. */
export interface LifecycleHost {
  readonly emitter: EventEmitter<UmdManagerEvents>;
  readonly metrics: ManagerMetrics;
  /** Requests are pending. */
  busy(): boolean;
  /** A handler became ready while nothing is pending. */
  readyIdle(proc: HandlerProcess): void;
}

/**
 * The handler's lifecycle (`idle -> loading -> starting -> running -> stopping -> stopped`,
 * plus `failed`): one start at a time shared by its callers, the start sequence bounded by
 * `startTimeoutMs`, faults taken out of service, exits reported in causal order, and stops.
 */
export class HandlerLifecycle {
  readonly #options: ResolvedManagerOptions;
  readonly #name: string;
  readonly #host: LifecycleHost;
  readonly #loader: LoaderSlot;
  /** Fail-stop decisions and the restart budget. */
  readonly faults: FaultPolicy;
  state: UmdManagerState = 'idle';
  /** The ready (or, after a fault until it is replaced, no) handler requests go to. */
  handler: ActiveHandler | undefined;
  #startingHandler: ActiveHandler | undefined;
  #starting: Promise<ActiveHandler> | undefined;
  #startAbort: AbortController | undefined;
  /** Every handler process not yet exited, including failed ones still being killed. */
  readonly #live = new Set<ActiveHandler>();
  #stopping: Promise<void> | undefined;
  #lastPid: number | undefined;
  readonly #events: LifecycleEvents;

  constructor(options: ResolvedManagerOptions, host: LifecycleHost) {
    this.#options = options;
    this.#name = options.name;
    this.#host = host;
    this.#events = new LifecycleEvents(options.name, host.emitter, host.metrics);
    this.#loader = new LoaderSlot(options.name, options.loader, (loader) =>
      host.emitter.emit('load', { name: loader.name }),
    );
    this.faults = new FaultPolicy(options, (h) => {
      if (this.handler !== h) return;
      this.handler = undefined;
      if (this.state === 'running') this.state = 'failed';
    });
  }

  /** The running handler, else the one starting. */
  get current(): ActiveHandler | undefined {
    return this.handler ?? this.#startingHandler;
  }

  get stopping(): boolean {
    return this.state === 'stopping';
  }

  /** A ready handler: the current one, or one started now (starts are shared). */
  ensureRunning(): Promise<ActiveHandler> {
    if (this.stopping) return Promise.reject(stoppedError(this.#name));
    const h = this.handler;
    if (h?.ready && !h.faulted) return Promise.resolve(h);
    if (this.#starting) return this.#starting;
    const starting = this.#start();
    this.#starting = starting;
    const clear = () => {
      if (this.#starting === starting) this.#starting = undefined;
    };
    starting.then(clear, clear);
    return starting;
  }

  /**
   * Stops every handler (`graceMs` per escalation step), failing what it had with `stopped`,
   * and waits until every process is gone. Shared by concurrent callers.
   */
  stop(graceMs: number, failWaiters: (stopped: UmdError) => void): Promise<void> {
    if (this.#stopping) return this.#stopping;
    const previous = this.state;
    if ((previous === 'idle' || previous === 'stopped') && this.#live.size === 0)
      return Promise.resolve();
    const stopped = stoppedError(this.#name);
    this.state = 'stopping';
    this.#stopping = (async () => {
      failWaiters(stopped);
      this.#startAbort?.abort(stopped);
      const handlers = [this.handler, this.#startingHandler].filter(
        (h): h is ActiveHandler => h !== undefined,
      );
      this.handler = undefined;
      for (const h of handlers) this.#retire(h, stopped);
      await Promise.all(handlers.map((h) => h.process.stop(graceMs)));
      await this.#starting?.catch(() => undefined);
      await this.#loader.loading?.catch(() => undefined);
      // Failed handlers were SIGKILLed already: wait until they are really gone.
      await Promise.all([...this.#live].map((h) => h.process.exited));
      this.state = previous === 'idle' ? 'idle' : 'stopped';
      // The budget catches crash loops; a deliberate stop ends any loop, so the next start is not a restart.
      this.faults.resetBudget();
      debug('%s: stopped', this.#name);
    })().finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  /** After a stop: forgets the loader (the next start imports it again). */
  unload(): void {
    const loader = this.#loader.forget();
    this.faults.endedInFault = false;
    this.state = 'idle';
    if (loader) this.#host.emitter.emit('unload', { name: loader.name });
  }

  /**
   * `idleTimeoutMs` passed without a request: stop the handler in the background (as `stop()`
   * does, without failing anything: nothing is pending). A request arriving meanwhile starts
   * a fresh handler. Deliberate, so the restart budget is cleared as by `stop()`.
   */
  retireIdle(): void {
    const h = this.handler;
    if (h === undefined || !h.ready || h.faulted || this.#host.busy() || this.stopping) return;
    this.handler = undefined;
    this.state = 'stopped';
    this.#retire(h, stoppedError(this.#name));
    this.faults.resetBudget();
    const pid = h.process.pid;
    debug(
      '%s: handler pid %d idle for %d ms, stopping it',
      this.#name,
      pid,
      this.#options.idleTimeoutMs,
    );
    this.#host.emitter.emit('idle', { pid });
    void h.process.stop(this.#options.stopGraceMs);
  }

  /** Marks `h` as stopped on purpose and closes its channel, failing what it had with `reason`. */
  #retire(h: ActiveHandler, reason: UmdError): void {
    h.expected = true;
    h.watchdog.clear();
    h.channel.close(reason);
  }

  async #start(): Promise<ActiveHandler> {
    // One controller for stop() and the deadline, told apart by the reason. Not AbortSignal.any():
    // Node keeps a composite signal with a listener in a global set until it aborts, so every
    // start that succeeded would keep its promise chain, process and channel alive for good.
    const stop = new AbortController();
    this.#startAbort = stop;
    const signal = stop.signal;
    const deadlineReason = new Error('start deadline');
    // A referenced timer, not AbortSignal.timeout(): a start keeps the host alive until it
    // ends, even one waiting on a step the event loop does not count.
    const timer = setTimeout(() => stop.abort(deadlineReason), this.#options.startTimeoutMs);
    const aborted = whenAborted(signal);
    aborted.catch(() => undefined);
    const step: StartStep = (promise) => Promise.race([promise, aborted]);
    let h: ActiveHandler | undefined;
    let spawning: Promise<HandlerProcess> | undefined;
    try {
      if (!this.#loader.loader) this.state = 'loading';
      const loader = await step(this.#loader.load());
      // A predecessor's exit is reported before its successor starts (events in causal order,
      // never two generations alive at once); its cleanup is bounded by the start timeout.
      await step(Promise.all([...this.#live].map((old) => old.process.exited)));
      this.faults.takeStart(this.#lastPid);
      this.state = 'starting';
      const { metrics, emitter } = this.#host;
      spawning = spawnHandler(loader, this.#options, {
        stderr: (line, pid) => {
          if (emitter.listenerCount('stderr') > 0) emitter.emit('stderr', line, pid);
        },
        dropped: (lines) => {
          metrics.counters.stderrLinesDropped += lines;
        },
      });
      h = this.#adopt(await step(spawning), loader);
      await postStart(h, loader, this.#options.postStart, this.#name, step);
      // A fault in the same read as HELLO (a flood of unasked frames) arrives after HELLO resolved.
      if (h.faulted) throw h.faultReason;
      return this.#ready(h);
    } catch (error) {
      if (h === undefined && spawning !== undefined) {
        // Aborted (stop, timeout) while spawning: the process may still appear; reap it before reporting.
        const late = await spawning.catch(() => undefined);
        if (late) {
          late.kill('SIGKILL');
          await late.exited;
        }
      }
      // Whichever came first of stop and the deadline is the signal's reason.
      const timedOut = signal.aborted && signal.reason === deadlineReason;
      const stopped = signal.aborted && !timedOut;
      const failure = await this.#startFailure(h, error, stopped, timedOut, signal.reason);
      if (this.state !== 'stopping') this.state = 'failed';
      this.faults.endedInFault = true;
      this.#events.error(failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      if (this.#startAbort === stop) this.#startAbort = undefined;
    }
  }

  /** Wires a freshly spawned process: channel, exit watch, events. */
  #adopt(proc: HandlerProcess, loader: Loader): ActiveHandler {
    const h = openActiveHandler(proc, loader.mode, this.#options, (overdue) =>
      this.faults.overdue(overdue),
    );
    this.#startingHandler = h;
    const previousPid = this.#lastPid;
    this.#lastPid = proc.pid;
    this.#events.started(proc.pid, this.faults.endedInFault ? { previousPid } : undefined);
    this.faults.endedInFault = false;
    // The channel ended on its own (EOF, protocol violation): fail-stop.
    h.channel.on('close', (reason: UmdError | undefined) => this.faults.channelClosed(h, reason));
    this.#live.add(h);
    void proc.exited.then((info) => {
      this.#live.delete(h);
      this.#exited(h, info);
    });
    return h;
  }

  #ready(h: ActiveHandler): ActiveHandler {
    const proc = h.process;
    h.ready = true;
    this.#startingHandler = undefined;
    this.handler = h;
    this.state = 'running';
    if (!this.#host.busy()) this.#host.readyIdle(proc);
    this.#events.ready(proc.pid, h.hello, proc.containment);
    return h;
  }

  /** Takes a handler whose start failed out of service and says why the start failed. */
  async #startFailure(
    h: ActiveHandler | undefined,
    error: unknown,
    stopped: boolean,
    timedOut: boolean,
    reason: unknown,
  ): Promise<UmdError> {
    const err = stopped ? (reason as UmdError) : this.faults.startError(error, timedOut);
    if (h === undefined) return err;
    if (this.#startingHandler === h) this.#startingHandler = undefined;
    if (!h.expected) {
      h.faulted = true;
      h.channel.close(err);
      // Its output ended before HELLO and it did not exit at once: it is most likely exiting, and
      // its status (relayed by a PID namespace's supervisor, late on a loaded machine) is what the
      // error reports, so it gets a moment of its own before the SIGKILL.
      if (isUmdError(error, UmdErrorCode.CLOSED)) await h.process.exitsWithin(OUTPUT_END_EXIT_MS);
      h.process.kill('SIGKILL');
    }
    const info = await h.process.exited;
    return stopped ? err : this.faults.startFailed(h, err, info, timedOut);
  }

  #exited(h: ActiveHandler, info: ExitInfo): void {
    const report = this.faults.exited(h, info);
    this.#events.exited({
      pid: h.process.pid,
      exitCode: info.exitCode,
      signal: info.signal,
      expected: h.expected,
    });
    if (report) this.#events.error(report);
  }
}
