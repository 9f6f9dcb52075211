import { isAbsolute } from 'node:path';
import {
  checkBoolean,
  checkInteger,
  checkKnownKeys,
  checkObject,
  invalidArgument,
  readingOptions,
  showValue,
} from '@umd/core';
import type { HandlerSession, Loader } from '../loader/loader-types.js';
import { DEFAULT_MAX_BLOB_BYTES } from '../process/blob-read.js';
import type { SandboxOptions } from '../process/node-flags.js';
import type { RestartBudgetOptions } from './restart-budget.js';
import { checkTimeout, NO_TIMEOUT } from './validate-options.js';

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
   * A JS handler also gets `tunedNodeFlags()` (on Node 24: a young generation small enough that
   * large dead request buffers go at a scavenge rather than a mark-compact).
   */
  tuneAllocator?: boolean;
  /**
   * The handler's stdin and stdout are socketpairs the host makes with `@umd/core`'s native
   * helper (`openStdioSockets()`), with 1 MiB asked for as each end's kernel send buffer, so that
   * large messages move in fewer steps (true). Where the helper is missing or fails, and with
   * `replySocket`, Node's stdio pipes are used (`NODE_DEBUG=umd` says which).
   */
  stdioSockets?: boolean;
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
  /**
   * Request bytes that may wait to be written to the handler: queued for it or a slot, or sent
   * while it does not read (64 MiB). A request that would pass it gets `UMD_QUEUE_FULL`, unless
   * nothing waits (one request of any size up to `maxPayload` goes). An aborted or timed-out
   * request's bytes leave at once, except a frame the pipe already has part of.
   */
  maxQueuedBytes?: number;
  /** Time for a start: spawn, HELLO and the postStart hooks (10000 ms). Timeouts are integers from 1 to 2^31-1 ms. */
  startTimeoutMs?: number;
  /** Default per-request timeout, counted from the call, queueing and start included (30000 ms; `Infinity`, exported as `NO_TIMEOUT`, for none). A request timing out while the handler has it kills the handler. */
  requestTimeoutMs?: number;
  /**
   * Stop the handler once it has had no request for this many milliseconds; the next request
   * starts it again, as the kernel loads a module on demand (off: unset or `Infinity`). An idle
   * stop is deliberate: it emits `idle` and `exit` (`expected: true`), and clears the restart budget.
   */
  idleTimeoutMs?: number;
  /** At most `maxStarts` handler starts within `windowMs`, then `UMD_CRASH_LOOP` ({ maxStarts: 10, windowMs: 60000 }). */
  restartBudget?: RestartBudgetOptions;
  /** Grace period of each `stop()` step: after closing stdin, after SIGTERM (2000 ms; 0 to 2^31-1). */
  stopGraceMs?: number;
  /** Extra environment variables for the handler, on top of the allow-list (none). `NODE_OPTIONS` is refused. */
  env?: Record<string, string>;
  /** Transport settings: `{ replySocket: false, tuneAllocator: true, stdioSockets: true }`. */
  transport?: TransportOptions;
  /** Sandbox of the handler process ({ permission: true } for JS handlers). */
  sandbox?: SandboxOptions;
  /** Largest reply payload accepted from a framed handler (64 MiB, the wire format's default). Raw mode: largest `replyLength`. */
  maxPayload?: number;
  /** Runs after the loader's `postStart`, before any queued request, on every start (e.g. restore state). Throwing fails the start. */
  postStart?: (session: HandlerSession) => Promise<void>;
  /** Parent directory of the private blob copies (`os.tmpdir()`), an absolute path; must allow exec for native handlers, be searchable by the handler's uid and should be sticky (like /tmp) or writable by the host only. */
  stagingDir?: string;
  /** Lines of handler stderr kept for error reports (32). */
  stderrTailLines?: number;
  /**
   * Largest blob a start reads (256 MiB). The blob must be a regular file: a FIFO, device,
   * directory or larger file fails the start at once with `UMD_START_FAILED`.
   */
  maxBlobBytes?: number;
}

/** {@link UmdManagerOptions} with every default filled in. */
export interface ResolvedManagerOptions
  extends Omit<
    UmdManagerOptions,
    | 'maxInFlight'
    | 'maxQueue'
    | 'maxQueuedBytes'
    | 'startTimeoutMs'
    | 'requestTimeoutMs'
    | 'restartBudget'
    | 'stopGraceMs'
    | 'stderrTailLines'
    | 'transport'
    | 'maxBlobBytes'
  > {
  maxBlobBytes: number;
  transport: Required<TransportOptions>;
  maxInFlight: number;
  maxQueue: number;
  maxQueuedBytes: number;
  startTimeoutMs: number;
  requestTimeoutMs: number | undefined;
  restartBudget: RestartBudgetOptions;
  stopGraceMs: number;
  stderrTailLines: number;
}

/** Every key of each options bag, for {@link checkKnownKeys}. */
const MANAGER_KEYS: Record<keyof UmdManagerOptions, true> = {
  name: true,
  loader: true,
  maxInFlight: true,
  maxQueue: true,
  maxQueuedBytes: true,
  startTimeoutMs: true,
  requestTimeoutMs: true,
  idleTimeoutMs: true,
  restartBudget: true,
  stopGraceMs: true,
  env: true,
  transport: true,
  sandbox: true,
  maxPayload: true,
  postStart: true,
  stagingDir: true,
  stderrTailLines: true,
  maxBlobBytes: true,
};
const TRANSPORT_KEYS: Record<keyof TransportOptions, true> = {
  replySocket: true,
  tuneAllocator: true,
  stdioSockets: true,
};
const SANDBOX_KEYS: Record<keyof SandboxOptions, true> = {
  permission: true,
  uid: true,
  gid: true,
  containment: true,
  bubblewrap: true,
  maxOldSpaceSizeMb: true,
  singleThreadedGc: true,
  minSemiSpaceSizeMb: true,
};
const BUDGET_KEYS: Record<keyof RestartBudgetOptions, true> = { maxStarts: true, windowMs: true };
/** Options a user may pass to a manager that only a pool takes. */
const POOL_ONLY = { instances: 'an option of UmdPool', lookahead: 'an option of UmdPool' };

const MAX_INT32 = 2 ** 31 - 1;
/** Default of `maxQueuedBytes`: the wire format's default largest payload. */
const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
const CONTAINMENTS: readonly string[] = ['auto', 'pid-namespace', 'process-group'];

/**
 * Validates every option and fills in defaults: one check for each, so a bad value is
 * `UMD_INVALID_ARGUMENT` from the constructor and never a surprise later; `null` and
 * `undefined` mean the default.
 * @throws UmdError `UMD_INVALID_ARGUMENT`.
 */
export function resolveManagerOptions(options: UmdManagerOptions): ResolvedManagerOptions {
  return readingOptions('UmdManager', 'its options', () => resolve(options));
}

function resolve(options: UmdManagerOptions): ResolvedManagerOptions {
  const o = 'UmdManager';
  if (typeof options !== 'object' || options === null)
    throw invalidArgument(o, 'options must be an object');
  if (typeof options.name !== 'string' || options.name.length === 0)
    throw invalidArgument(o, 'name must be a non-empty string');
  const owner = options.name;
  checkKnownKeys(options, MANAGER_KEYS, '', owner, POOL_ONLY);
  const loader = options.loader as unknown;
  if (!(typeof loader === 'function' || (typeof loader === 'object' && loader !== null)))
    throw invalidArgument(owner, 'loader must be a loader or a function importing one');
  const budget = checkObject<Partial<RestartBudgetOptions>>(
    options.restartBudget,
    'restartBudget',
    owner,
  );
  const transport = checkObject<TransportOptions>(options.transport, 'transport', owner);
  const env = checkObject<Record<string, string>>(options.env, 'env', owner);
  const sandbox = checkObject<SandboxOptions>(options.sandbox, 'sandbox', owner);
  checkKnownKeys(budget, BUDGET_KEYS, 'restartBudget.', owner);
  checkKnownKeys(transport, TRANSPORT_KEYS, 'transport.', owner);
  checkKnownKeys(sandbox, SANDBOX_KEYS, 'sandbox.', owner);
  checkBoolean(sandbox.permission, 'sandbox.permission', owner, true);
  checkBoolean(sandbox.bubblewrap, 'sandbox.bubblewrap', owner, false);
  checkBoolean(sandbox.singleThreadedGc, 'sandbox.singleThreadedGc', owner, false);
  for (const id of ['uid', 'gid'] as const)
    checkInteger(sandbox[id], `sandbox.${id}`, owner, 0, 0, 2 ** 32 - 2);
  checkInteger(sandbox.maxOldSpaceSizeMb, 'sandbox.maxOldSpaceSizeMb', owner, 1, 1, 2 ** 31 - 1);
  checkInteger(sandbox.minSemiSpaceSizeMb, 'sandbox.minSemiSpaceSizeMb', owner, 0, 0, 1024);
  if (sandbox.containment != null && !CONTAINMENTS.includes(sandbox.containment))
    throw invalidArgument(owner, `sandbox.containment must be one of ${CONTAINMENTS.join(', ')}`);
  for (const [key, value] of Object.entries(env))
    if (typeof value !== 'string') throw invalidArgument(owner, `env.${key} must be a string`);
  for (const hook of ['postStart'] as const)
    if (options[hook] != null && typeof options[hook] !== 'function')
      throw invalidArgument(owner, `${hook} must be a function`);
  // A relative one would be staged from the host's cwd but run from the handler's ('/').
  if (
    options.stagingDir != null &&
    (typeof options.stagingDir !== 'string' || !isAbsolute(options.stagingDir))
  )
    throw invalidArgument(
      owner,
      `stagingDir must be an absolute path, got ${showValue(options.stagingDir)}`,
    );
  const requestTimeoutMs = checkTimeout(
    options.requestTimeoutMs,
    'requestTimeoutMs',
    owner,
    30_000,
    { allowNone: true },
  );
  // 0 is the "not given" fallback here: idle handlers stay unless a timeout is set.
  const idleTimeoutMs = checkTimeout(options.idleTimeoutMs, 'idleTimeoutMs', owner, 0, {
    allowNone: true,
  });
  const maxPayload = checkInteger(options.maxPayload, 'maxPayload', owner, 0, 1, 0xffffffff);
  const resolved: ResolvedManagerOptions = {
    ...options,
    env: options.env == null ? undefined : env,
    sandbox,
    postStart: options.postStart ?? undefined,
    stagingDir: options.stagingDir ?? undefined,
    maxPayload: maxPayload === 0 ? undefined : maxPayload,
    maxInFlight: checkInteger(options.maxInFlight, 'maxInFlight', owner, 1, 1, MAX_INT32),
    maxQueue: checkInteger(options.maxQueue, 'maxQueue', owner, 1024, 0, MAX_INT32),
    maxQueuedBytes: checkInteger(
      options.maxQueuedBytes,
      'maxQueuedBytes',
      owner,
      DEFAULT_MAX_QUEUED_BYTES,
      1,
    ),
    startTimeoutMs: checkTimeout(options.startTimeoutMs, 'startTimeoutMs', owner, 10_000),
    requestTimeoutMs: requestTimeoutMs === NO_TIMEOUT ? undefined : requestTimeoutMs,
    idleTimeoutMs: idleTimeoutMs === NO_TIMEOUT || idleTimeoutMs === 0 ? undefined : idleTimeoutMs,
    restartBudget: {
      maxStarts: checkInteger(budget.maxStarts, 'restartBudget.maxStarts', owner, 10, 1),
      windowMs: checkInteger(budget.windowMs, 'restartBudget.windowMs', owner, 60_000, 0),
    },
    stopGraceMs: checkTimeout(options.stopGraceMs, 'stopGraceMs', owner, 2000, { min: 0 }),
    maxBlobBytes: checkInteger(
      options.maxBlobBytes,
      'maxBlobBytes',
      owner,
      DEFAULT_MAX_BLOB_BYTES,
      1,
      2 ** 32,
    ),
    stderrTailLines: checkInteger(options.stderrTailLines, 'stderrTailLines', owner, 32, 1, 1e6),
    transport: {
      replySocket: checkBoolean(transport.replySocket, 'transport.replySocket', owner, false),
      tuneAllocator: checkBoolean(transport.tuneAllocator, 'transport.tuneAllocator', owner, true),
      stdioSockets: checkBoolean(transport.stdioSockets, 'transport.stdioSockets', owner, true),
    },
  };
  return resolved;
}
