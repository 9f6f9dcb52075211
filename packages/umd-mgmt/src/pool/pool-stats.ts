import type { LatencySummary } from '../manager/latency-stats.js';
import type { UmdManagerStats } from '../manager/manager-types.js';

/**
 * Totals of a pool: `starts`, `restarts`, `inFlight`, `bytesSent` and `bytesReceived` are the
 * instances' counters summed; requests and latency are as callers of the pool saw them.
 */
export interface UmdPoolTotals
  extends Pick<
    UmdManagerStats,
    'starts' | 'restarts' | 'inFlight' | 'bytesSent' | 'bytesReceived'
  > {
  /** Requests the pool accepted (not counting those refused at once). */
  requests: number;
  /** Requests that got a reply. */
  replies: number;
  /** Requests that ended in an error (including those that timed out in the pool's queue). */
  failures: number;
  /** Requests waiting: in the pool's queue, or at an instance whose handler is starting. */
  queued: number;
  /** Request bytes not yet written to a handler: in the pool's queue and at every instance. */
  queuedBytes: number;
  /** Call to reply of the most recent successful requests, the pool's queue included. */
  latency: LatencySummary;
}

/** What `UmdPool.stats()` returns. */
export interface UmdPoolStats {
  /** Number of instances (handler process slots) of the pool. */
  size: number;
  /** Instances whose handler is running. */
  running: number;
  /** The pool as a whole. */
  total: UmdPoolTotals;
  /** Each instance's own manager stats, by index. */
  instances: UmdManagerStats[];
}

/** Sums the instances' counters; the caller-side counters come from the pool itself. */
export function poolStats(
  instances: UmdManagerStats[],
  own: { requests: number; replies: number; failures: number; queued: number; queuedBytes: number },
  latency: LatencySummary,
): UmdPoolStats {
  const sum = (
    key:
      | 'starts'
      | 'restarts'
      | 'inFlight'
      | 'queued'
      | 'queuedBytes'
      | 'bytesSent'
      | 'bytesReceived',
  ) => instances.reduce((n, s) => n + s[key], 0);
  return {
    size: instances.length,
    running: instances.filter((s) => s.state === 'running').length,
    total: {
      starts: sum('starts'),
      restarts: sum('restarts'),
      requests: own.requests,
      replies: own.replies,
      failures: own.failures,
      inFlight: sum('inFlight'),
      queued: own.queued + sum('queued'),
      queuedBytes: own.queuedBytes + sum('queuedBytes'),
      bytesSent: sum('bytesSent'),
      bytesReceived: sum('bytesReceived'),
      latency,
    },
    instances,
  };
}
