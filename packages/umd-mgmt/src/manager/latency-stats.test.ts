import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './latency-stats.js';

describe('LatencyRecorder', () => {
  it('summarizes the most recent window', () => {
    const r = new LatencyRecorder(100);
    expect(r.summary().count).toBe(0);
    for (let i = 1; i <= 200; i++) r.record(i);
    const s = r.summary();
    expect(s.count).toBe(100);
    expect(s.maxMs).toBe(200);
    expect(s.p50Ms).toBe(151);
    expect(s.meanMs).toBeCloseTo(150.5);
  });
});
