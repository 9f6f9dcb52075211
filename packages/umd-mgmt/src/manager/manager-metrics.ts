import { channels } from '../observability/diagnostics.js';
import { LatencyRecorder, type LatencySummary } from './latency-stats.js';

/** The manager's counters (see `UmdManagerStats` for each). */
export interface ManagerCounters {
  starts: number;
  restarts: number;
  requests: number;
  replies: number;
  failures: number;
  bytesSent: number;
  bytesReceived: number;
  stderrLinesDropped: number;
}

/**
 * Counters, recent latencies and the request diagnostics channels of one manager. Sits on
 * the request path: plain increments, and a channel message only when someone subscribes.
 */
export class ManagerMetrics {
  readonly #name: string;
  readonly #latency = new LatencyRecorder();
  readonly counters: ManagerCounters = {
    starts: 0,
    restarts: 0,
    requests: 0,
    replies: 0,
    failures: 0,
    bytesSent: 0,
    bytesReceived: 0,
    stderrLinesDropped: 0,
  };

  constructor(name: string) {
    this.#name = name;
  }

  /** A request of `bytes` was admitted. */
  requested(bytes: number): void {
    this.counters.requests++;
    if (channels.requestStart.hasSubscribers)
      channels.requestStart.publish({ manager: this.#name, bytes });
  }

  /** A request got its reply (`t0`: when it was made, `performance.now()`). */
  replied(payload: Uint8Array, reply: Uint8Array, t0: number): void {
    const ms = performance.now() - t0;
    const c = this.counters;
    c.replies++;
    c.bytesSent += payload.length;
    c.bytesReceived += reply.length;
    this.#latency.record(ms);
    if (channels.requestEnd.hasSubscribers)
      channels.requestEnd.publish({
        manager: this.#name,
        bytes: payload.length,
        durationMs: ms,
        error: undefined,
      });
  }

  /** A request failed; {@link ManagerMetrics.ended} follows once its error is final. */
  failed(): void {
    this.counters.failures++;
  }

  /** Publishes the end of a failed request with the error its caller gets. */
  ended(payload: Uint8Array, error: unknown, t0: number): void {
    if (channels.requestEnd.hasSubscribers) {
      channels.requestEnd.publish({
        manager: this.#name,
        bytes: payload.length,
        durationMs: performance.now() - t0,
        error,
      });
    }
  }

  /** Latency of the recent successful requests. */
  latency(): LatencySummary {
    return this.#latency.summary();
  }
}
