/** Summary of recent request latencies, in milliseconds. */
export interface LatencySummary {
  /** Samples in the summary (the most recent ones, up to the window size). */
  count: number;
  /** Arithmetic mean. */
  meanMs: number;
  /** Median. */
  p50Ms: number;
  /** 99th percentile. */
  p99Ms: number;
  /** Largest sample. */
  maxMs: number;
}

/** Keeps the last `window` latencies in a ring buffer; percentiles are computed only when asked for. */
export class LatencyRecorder {
  readonly #samples: Float64Array;
  #next = 0;
  #filled = 0;

  constructor(window = 1024) {
    this.#samples = new Float64Array(window);
  }

  /** Adds one sample. O(1), allocation-free: it sits on the request path. */
  record(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#filled < this.#samples.length) this.#filled++;
  }

  /** Mean, median, 99th percentile and maximum of the recorded window. */
  summary(): LatencySummary {
    const n = this.#filled;
    if (n === 0) return { count: 0, meanMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    const sorted = this.#samples.slice(0, n).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { count: n, meanMs: sum / n, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[n - 1]! };
  }

  /** Drops all samples. */
  clear(): void {
    this.#next = 0;
    this.#filled = 0;
  }
}
