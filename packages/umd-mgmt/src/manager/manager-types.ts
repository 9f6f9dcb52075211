import type { Hello, UmdError } from '@umd/core';
import type { ContainmentKind } from '../process/containment.js';
import type { LatencySummary } from './latency-stats.js';

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

/** Events a caller may await with `events.once` (see `OnceWaiters`). */
export const LIFECYCLE_EVENTS = ['load', 'unload', 'start', 'ready', 'exit', 'restart', 'idle'];
