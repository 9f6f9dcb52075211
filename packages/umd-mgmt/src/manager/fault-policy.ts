import { causeMessage, isUmdError, UmdError, type UmdErrorDetails, UmdErrorCode } from '@umd/core';
import { debug } from '../observability/debug-log.js';
import type { ExitInfo } from '../process/exit-tracker.js';
import { stderrCause } from '../process/stderr-cause.js';
import type { ActiveHandler } from './active-handler.js';
import { givenUpByCaller } from './abort-reason.js';
import type { ResolvedManagerOptions } from './manager-options.js';
import { RestartBudget } from './restart-budget.js';

// Codes that say something about one request, not about the handler's health.
const REQUEST_LEVEL = new Set<string>([
  UmdErrorCode.HANDLER_ERROR,
  UmdErrorCode.NOT_STARTED,
  UmdErrorCode.TOO_LARGE,
  UmdErrorCode.INVALID_ARGUMENT,
]);

// Codes a request keeps when its handler is killed for it (else it becomes HANDLER_EXITED).
const KEPT_AFTER_KILL = new Set<string>([
  UmdErrorCode.TIMEOUT,
  UmdErrorCode.PROTOCOL,
  UmdErrorCode.INVALID_REPLY,
  UmdErrorCode.ABORTED,
]);

/** The error of whatever `stop()` (or an idle stop) of a manager or `what` cut short. */
export function stoppedError(name: string, cause?: unknown, what = 'manager'): UmdError {
  return new UmdError(UmdErrorCode.STOPPED, `${name}: the ${what} was stopped`, {
    cause,
    handlerName: name,
  });
}

/** The `UMD_TIMEOUT` of a request whose `timeoutMs` passed while it still waited for `what`. */
export function waitTimeoutError(name: string, timeoutMs: number, what: string): UmdError {
  return new UmdError(
    UmdErrorCode.TIMEOUT,
    `${name}: no reply within ${timeoutMs} ms (still waiting for ${what})`,
    { timedOut: true, handlerName: name },
  );
}

/** "exited with code 3", "was killed by SIGKILL". */
export function describeExit(info: ExitInfo): string {
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.exitCode}`;
}

/** What every error about a handler that is gone says about its end. */
export function exitDetails(h: ActiveHandler, info: ExitInfo, name: string): UmdErrorDetails {
  return {
    exitCode: info.exitCode,
    signal: info.signal,
    stderrTail: h.process.stderrTail(),
    pid: h.process.pid,
    handlerName: name,
  };
}

/**
 * Fail-stop and its limits: which failures are the handler's fault (it is killed and gets
 * nothing more), what error each caller gets for them, and how many starts a crash loop may
 * have (the restart budget).
 */
export class FaultPolicy {
  readonly #name: string;
  readonly #options: ResolvedManagerOptions;
  readonly #budget: RestartBudget;
  readonly #dropped: (h: ActiveHandler) => void;
  /** The last handler generation ended in a fault or a failed start: the next start is a restart. */
  endedInFault = false;

  /** `dropped(h)` runs when a fault takes `h` out of service (the lifecycle forgets it). */
  constructor(options: ResolvedManagerOptions, dropped: (h: ActiveHandler) => void) {
    this.#name = options.name;
    this.#options = options;
    this.#budget = new RestartBudget(options.restartBudget);
    this.#dropped = dropped;
  }

  /** Fail-stop: this handler gets nothing more; kill its group; fail whatever else it had in flight. */
  fault(h: ActiveHandler, reason: UmdError): void {
    if (h.faulted || h.expected) return;
    h.faulted = true;
    h.faultReason = reason;
    h.watchdog.clear();
    this.#dropped(h);
    this.endedInFault = true;
    debug('%s: fault on pid %d: %s', this.#name, h.process.pid, reason.message);
    h.process.kill('SIGKILL');
    h.channel.close(reason);
  }

  /** The watchdog found a request of `h` past the default timeout. */
  overdue(h: ActiveHandler): void {
    this.#killed(h, `a request got no reply within ${this.#options.requestTimeoutMs} ms`);
  }

  /** The channel of `h` ended on its own (EOF, protocol violation). */
  channelClosed(h: ActiveHandler, reason: UmdError | undefined): void {
    if (h.expected || h.faulted) return;
    // Output ended during the start, no exit yet: the start's failure takes it out of service,
    // after a moment for the exit status (see the lifecycle's startFailure).
    if (!h.ready && reason?.code === UmdErrorCode.CLOSED) return;
    this.fault(
      h,
      reason ??
        new UmdError(
          UmdErrorCode.HANDLER_EXITED,
          `${this.#name}: handler (pid ${h.process.pid}) closed its output`,
        ),
    );
  }

  /**
   * `h` exited. Unasked for (between requests, or before its channel noticed), that is a
   * fault. Returns the error to report for a ready handler's unasked end, if any.
   */
  exited(h: ActiveHandler, info: ExitInfo): UmdError | undefined {
    const details = exitDetails(h, info, this.#name);
    if (!h.expected && !h.faulted) {
      this.fault(
        h,
        new UmdError(
          UmdErrorCode.HANDLER_EXITED,
          `${this.#name}: handler (pid ${h.process.pid}) ${describeExit(info)}`,
          details,
        ),
      );
    }
    if (h.expected || !h.ready || h.faultReason === undefined) return undefined;
    const { code, message, cause } = h.faultReason;
    return new UmdError(code, message, { cause, ...details });
  }

  /**
   * Decides synchronously whether a failed exchange is a fault of the handler (then it is
   * marked and killed before the slot goes to the next request), and returns the error the
   * caller gets: with exit code, signal and stderr tail once the handler is gone.
   * `overdue`: the watchdog killed the handler for this request (report the timeout, not the kill).
   */
  classify(h: ActiveHandler, error: unknown, overdue: boolean): Promise<UmdError> {
    let err = isUmdError(error)
      ? error
      : new UmdError(
          UmdErrorCode.HANDLER_EXITED,
          `${this.#name}: exchange failed: ${causeMessage(error)}`,
          { cause: error },
        );
    if (overdue) {
      err = new UmdError(
        UmdErrorCode.TIMEOUT,
        `${this.#name}: no reply within ${this.#options.requestTimeoutMs} ms`,
        { cause: err, timedOut: true, requestId: err.requestId },
      );
    }
    if (err.code === UmdErrorCode.STOPPED) return Promise.resolve(err);
    if (h.expected) return Promise.resolve(stoppedError(this.#name, err));
    if (REQUEST_LEVEL.has(err.code)) return Promise.resolve(err);
    // A request its caller gave up on: framed, it was cancelled with a CANCEL frame; raw (an
    // abort, not a signal that timed out), the rest of its reply is dropped. The handler is fine.
    if (givenUpByCaller(err) && !h.channel.closed) return Promise.resolve(err);
    const why =
      err.code === UmdErrorCode.TIMEOUT
        ? 'a request timed out'
        : err.code === UmdErrorCode.PROTOCOL
          ? 'it broke the protocol'
          : 'its channel failed';
    this.#killed(h, why, err);
    return this.#withExitDetails(h, err);
  }

  /** The caller's `checkReply` refused a reply of `h`: the handler lied (fail-stop). */
  invalidReply(h: ActiveHandler, cause: unknown): Promise<UmdError> {
    const pid = h.process.pid;
    const err = new UmdError(
      UmdErrorCode.INVALID_REPLY,
      `${this.#name}: handler (pid ${pid}) sent an invalid reply: ${causeMessage(cause)}`,
      { cause, handlerName: this.#name, pid },
    );
    this.fault(h, err);
    return this.#withExitDetails(h, err);
  }

  /**
   * Takes a start from the restart budget.
   * @throws UmdError `UMD_CRASH_LOOP` when it is spent.
   */
  takeStart(lastPid: number | undefined): void {
    if (this.#budget.tryTake()) return;
    const { maxStarts, windowMs } = this.#options.restartBudget;
    const waitMs = Math.ceil(this.#budget.msUntilNextStart());
    throw new UmdError(
      UmdErrorCode.CRASH_LOOP,
      `${this.#name}: ${maxStarts} starts within ${windowMs} ms; not starting again for ${waitMs} ms (or until resetRestartBudget())`,
      { handlerName: this.#name, pid: lastPid },
    );
  }

  /** A deliberate stop ends any crash loop: the next start is not a restart. */
  resetBudget(): void {
    this.#budget.reset();
  }

  /** Why a start failed (before any handler's exit is known). */
  startError(error: unknown, timedOut: boolean): UmdError {
    if (timedOut) {
      return new UmdError(
        UmdErrorCode.TIMEOUT,
        `${this.#name}: the handler did not start within ${this.#options.startTimeoutMs} ms`,
        { timedOut: true, handlerName: this.#name },
      );
    }
    if (isUmdError(error)) return error;
    return new UmdError(
      UmdErrorCode.START_FAILED,
      `${this.#name}: start failed: ${causeMessage(error)}`,
      { cause: error, handlerName: this.#name },
    );
  }

  /** The error of a start that failed after `h` was spawned (`h` has exited with `info`). */
  startFailed(h: ActiveHandler, err: UmdError, info: ExitInfo, timedOut: boolean): UmdError {
    const passThrough =
      err.code === UmdErrorCode.TIMEOUT || err.code === UmdErrorCode.BLOB_INTEGRITY;
    const said = stderrCause(h.process.stderrTail());
    const message = passThrough
      ? err.message
      : `${this.#name}: handler (pid ${h.process.pid}) failed to start: ${err.message}; it ${describeExit(info)}${said === undefined ? '' : `: ${said}`}`;
    return new UmdError(passThrough ? err.code : UmdErrorCode.START_FAILED, message, {
      cause: err,
      timedOut: timedOut || undefined,
      ...exitDetails(h, info, this.#name),
    });
  }

  /** Kills `h` for `why` (a fault of its own). */
  #killed(h: ActiveHandler, why: string, cause?: UmdError): void {
    this.fault(
      h,
      new UmdError(
        UmdErrorCode.HANDLER_EXITED,
        `${this.#name}: handler (pid ${h.process.pid}) killed: ${why}`,
        { cause },
      ),
    );
  }

  async #withExitDetails(h: ActiveHandler, err: UmdError): Promise<UmdError> {
    const info = await h.process.exited;
    if (h.expected) return stoppedError(this.#name, err);
    const keep = KEPT_AFTER_KILL.has(err.code);
    // A channel that ended while its handler lived (it closed its stdout) is why it was killed.
    const why = err.code === UmdErrorCode.CLOSED ? ` (${err.message})` : '';
    return new UmdError(
      keep ? err.code : UmdErrorCode.HANDLER_EXITED,
      keep
        ? `${err.message} (handler pid ${h.process.pid} killed)`
        : `${this.#name}: handler (pid ${h.process.pid}) ${describeExit(info)} while the request was pending${why}`,
      {
        cause: err,
        requestId: err.requestId,
        timedOut: err.timedOut,
        ...exitDetails(h, info, this.#name),
      },
    );
  }
}
