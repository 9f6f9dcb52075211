import { UmdError, UmdErrorCode } from '@umd/core';
import type { HandlerSession, Loader } from '../loader/loader-types.js';
import type { SandboxOptions } from '../process/node-flags.js';
import type { RestartBudgetOptions } from './restart-budget.js';

/** How requests and replies travel between host and handler. */
export interface TransportOptions {
  /**
   * The handler's fd 1 is a reply socket (`openReplySocket()` of `@umd/core`) instead of Node's
   * stdio pipe (false). Both are `AF_UNIX` stream sockets that the channel reads straight into
   * reply buffers; the stdio pipe costs nothing to set up, the reply socket a listen and a connect
   * per start. The reply socket remains for a Node whose stdio pipes cannot be read that way
   * (the channel then copies 64 KiB chunks; `@umd/core` documents the fallback).
   */
  replySocket?: boolean;
  /**
   * The handler's environment gets `TUNED_ALLOCATOR_ENV` (glibc keeps freed memory for reuse
   * instead of returning it to the kernel), which makes large requests much cheaper for the
   * handler at the cost of resident memory (true). Single values can be overridden through `env`.
   */
  tuneAllocator?: boolean;
}

/** Options of `new UmdManager(options)`. Defaults in parentheses in each description. */
export interface UmdManagerOptions {
  /** Name of this driver, used in errors, logs and events. */
  name: string;
  /**
   * The loader, or (usually) a function that imports the loader module: `() => import('./loader.js')`.
   * It is called on the first request, not before (the kernel's `request_module`), and again after `unload()`.
   */
  loader: Loader | (() => Promise<Loader | { default: Loader }>);
  /** Requests sent to the handler at once (1: the kernel's mutex). Above 1 the handler must be concurrent. */
  maxInFlight?: number;
  /** Requests that may wait behind the in-flight ones; one more gets `UMD_QUEUE_FULL` (1024). */
  maxQueue?: number;
  /** Time for a start: spawn, HELLO and the postStart hooks (10000 ms). */
  startTimeoutMs?: number;
  /** Default per-request timeout, counted from the call, queueing and start included (30000 ms; `Infinity` for none). A request timing out while the handler has it kills the handler. */
  requestTimeoutMs?: number;
  /**
   * Stop the handler once it has had no request for this many milliseconds; the next request
   * starts it again, as the kernel loads a module on demand (off: unset or `Infinity`). An idle
   * stop is deliberate: it emits `idle` and `exit` (`expected: true`), and clears the restart budget.
   */
  idleTimeoutMs?: number;
  /** At most `maxStarts` handler starts within `windowMs`, then `UMD_CRASH_LOOP` ({ maxStarts: 10, windowMs: 60000 }). */
  restartBudget?: RestartBudgetOptions;
  /** Grace period of each `stop()` step: after closing stdin, after SIGTERM (2000 ms). */
  stopGraceMs?: number;
  /** Extra environment variables for the handler, on top of the allow-list (none). `NODE_OPTIONS` is refused. */
  env?: Record<string, string>;
  /** Transport settings: `{ replySocket: false, tuneAllocator: true }`. */
  transport?: TransportOptions;
  /** Sandbox of the handler process ({ permission: true } for JS handlers). */
  sandbox?: SandboxOptions;
  /** Largest reply payload accepted from a framed handler (64 MiB, the wire format's default). Raw mode: largest `replyLength`. */
  maxPayload?: number;
  /** Runs after the loader's `postStart`, before any queued request, on every start (e.g. restore state). Throwing fails the start. */
  postStart?: (session: HandlerSession) => Promise<void>;
  /** Parent directory of the private blob copies (`os.tmpdir()`); must allow exec for native handlers. */
  stagingDir?: string;
  /** Lines of handler stderr kept for error reports (32). */
  stderrTailLines?: number;
}

/** {@link UmdManagerOptions} with every default filled in. */
export interface ResolvedManagerOptions
  extends Omit<
    UmdManagerOptions,
    | 'maxInFlight'
    | 'maxQueue'
    | 'startTimeoutMs'
    | 'requestTimeoutMs'
    | 'restartBudget'
    | 'stopGraceMs'
    | 'stderrTailLines'
    | 'transport'
  > {
  transport: Required<TransportOptions>;
  maxInFlight: number;
  maxQueue: number;
  startTimeoutMs: number;
  requestTimeoutMs: number | undefined;
  restartBudget: RestartBudgetOptions;
  stopGraceMs: number;
  stderrTailLines: number;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `UmdManager: ${message}`);
}

const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
const nonNegative = (v: number) => typeof v === 'number' && v >= 0 && !Number.isNaN(v);

/** Validates options and fills in defaults. @throws UmdError `UMD_INVALID_ARGUMENT`. */
export function resolveManagerOptions(options: UmdManagerOptions): ResolvedManagerOptions {
  check(typeof options === 'object' && options !== null, 'options must be an object');
  check(
    typeof options.name === 'string' && options.name.length > 0,
    'name must be a non-empty string',
  );
  check(
    typeof options.loader === 'function' ||
      (typeof options.loader === 'object' && options.loader !== null),
    'loader must be a loader or a function importing one',
  );
  const resolved: ResolvedManagerOptions = {
    ...options,
    maxInFlight: options.maxInFlight ?? 1,
    maxQueue: options.maxQueue ?? 1024,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    restartBudget: options.restartBudget ?? { maxStarts: 10, windowMs: 60_000 },
    stopGraceMs: options.stopGraceMs ?? 2000,
    stderrTailLines: options.stderrTailLines ?? 32,
    transport: {
      replySocket: options.transport?.replySocket ?? false,
      tuneAllocator: options.transport?.tuneAllocator ?? true,
    },
  };
  check(positiveInt(resolved.maxInFlight), 'maxInFlight must be a positive integer');
  check(
    Number.isInteger(resolved.maxQueue) && resolved.maxQueue >= 0,
    'maxQueue must be a non-negative integer',
  );
  check(
    nonNegative(resolved.startTimeoutMs) && resolved.startTimeoutMs > 0,
    'startTimeoutMs must be positive',
  );
  check(
    nonNegative(resolved.requestTimeoutMs!) && resolved.requestTimeoutMs! > 0,
    'requestTimeoutMs must be positive',
  );
  if (resolved.requestTimeoutMs === Infinity) resolved.requestTimeoutMs = undefined;
  if (resolved.idleTimeoutMs !== undefined) {
    check(
      nonNegative(resolved.idleTimeoutMs) && resolved.idleTimeoutMs > 0,
      'idleTimeoutMs must be positive',
    );
    if (resolved.idleTimeoutMs === Infinity) resolved.idleTimeoutMs = undefined;
  }
  check(
    positiveInt(resolved.restartBudget.maxStarts) && nonNegative(resolved.restartBudget.windowMs),
    'restartBudget needs a positive integer maxStarts and a windowMs >= 0',
  );
  check(nonNegative(resolved.stopGraceMs), 'stopGraceMs must be >= 0');
  check(positiveInt(resolved.stderrTailLines), 'stderrTailLines must be a positive integer');
  if (options.maxPayload !== undefined)
    check(
      positiveInt(options.maxPayload) && options.maxPayload <= 0xffffffff,
      'maxPayload must be an integer in 1..2^32-1',
    );
  if (options.transport !== undefined)
    check(
      typeof options.transport === 'object' && options.transport !== null,
      'transport must be an object',
    );
  check(
    typeof resolved.transport.replySocket === 'boolean' &&
      typeof resolved.transport.tuneAllocator === 'boolean',
    'transport.replySocket and transport.tuneAllocator must be booleans',
  );
  if (options.env !== undefined)
    check(typeof options.env === 'object' && options.env !== null, 'env must be an object');
  return resolved;
}
