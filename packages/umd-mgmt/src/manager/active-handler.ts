import { FramedChannel, type Hello, RawChannel, type UmdError } from '@umd/core';
import type { HandlerMode } from '../loader/loader-types.js';
import type { Loader } from '../loader/loader-types.js';
import { debug } from '../observability/debug-log.js';
import { HandlerProcess } from '../process/handler-process.js';
import { DeadlineWatchdog } from './deadline-watchdog.js';
import type { ResolvedManagerOptions } from './manager-options.js';

/** One handler generation: a process, its channel, and what the manager knows about it. */
export interface ActiveHandler {
  readonly process: HandlerProcess;
  readonly mode: HandlerMode;
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

/**
 * The record of a freshly spawned process: its channel (framed or raw, per the loader's mode)
 * and a watchdog that calls `onOverdue` when a request passes the default timeout.
 */
export function openActiveHandler(
  proc: HandlerProcess,
  mode: HandlerMode,
  options: ResolvedManagerOptions,
  onOverdue: (h: ActiveHandler) => void,
): ActiveHandler {
  const hostEnds = proc.replySocket
    ? { replySocket: proc.replySocket }
    : proc.stdioSockets
      ? { stdioSockets: proc.stdioSockets }
      : {};
  const max = options.maxPayload;
  const channel =
    mode === 'framed'
      ? FramedChannel.fromChild(proc.child, {
          maxInFlight: options.maxInFlight,
          ...(max !== undefined ? { maxPayload: max } : {}),
          ...hostEnds,
        })
      : RawChannel.fromChild(proc.child, {
          ...(max !== undefined ? { maxReply: max } : {}),
          ...hostEnds,
        });
  const h: ActiveHandler = {
    process: proc,
    mode,
    channel,
    watchdog: new DeadlineWatchdog(() => onOverdue(h)),
    hello: undefined,
    ready: false,
    faulted: false,
    expected: false,
    blobPending: false,
    faultReason: undefined,
  };
  return h;
}

/**
 * Spawns a handler process of `loader` with the manager's options; its stderr lines go to
 * the debug log and `stderr`, the count of lines over the rate to `dropped`.
 */
export function spawnHandler(
  loader: Loader,
  options: ResolvedManagerOptions,
  on: { stderr: (line: string, pid: number) => void; dropped: (lines: number) => void },
): Promise<HandlerProcess> {
  return HandlerProcess.start({
    loader,
    env: options.env,
    sandbox: options.sandbox,
    stagingDir: options.stagingDir,
    maxBlobBytes: options.maxBlobBytes,
    replySocket: options.transport.replySocket,
    stdioSockets: options.transport.stdioSockets,
    tuneAllocator: options.transport.tuneAllocator,
    stderrTailLines: options.stderrTailLines,
    onStderrLine: (line, pid) => {
      debug('%s[%d] stderr: %s', options.name, pid, line);
      on.stderr(line, pid);
    },
    onStderrDropped: on.dropped,
  });
}
