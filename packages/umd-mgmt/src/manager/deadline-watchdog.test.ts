import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineWatchdog, type WatchedRequest } from './deadline-watchdog.js';

// The watchdog's clock and timer are faked: the order in which deadlines fire is what these
// tests prove, and a loaded machine must not be able to make two deadlines fire together.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DeadlineWatchdog', () => {
  it('reports overdue requests in order, skips settled ones, and re-arms for the next deadline', () => {
    const overdue: WatchedRequest[] = [];
    const watchdog = new DeadlineWatchdog((r) => overdue.push(r));
    const t = performance.now();
    const a = watchdog.watch(t + 30);
    const b = watchdog.watch(t + 40);
    const c = watchdog.watch(t + 120);
    watchdog.unwatch(b);
    vi.advanceTimersByTime(29);
    expect(overdue).toEqual([]);
    vi.advanceTimersByTime(41);
    expect(overdue).toEqual([a]);
    expect(a.timedOut).toBe(true);
    expect(b.timedOut).toBe(false);
    vi.advanceTimersByTime(100);
    expect(overdue).toEqual([a, c]);
    watchdog.unwatch(a); // already reported: harmless
    const d = watchdog.watch(performance.now() + 20);
    watchdog.unwatch(d);
    vi.advanceTimersByTime(40);
    expect(overdue).toHaveLength(2);
    watchdog.clear();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps deadlines in order when one comes out of order, and re-arms for an earlier head', () => {
    const overdue: string[] = [];
    const names = new Map<WatchedRequest, string>();
    const watchdog = new DeadlineWatchdog((r) => overdue.push(names.get(r)!));
    const t = performance.now();
    names.set(watchdog.watch(t + 200), 'late');
    names.set(watchdog.watch(t + 20), 'early');
    names.set(watchdog.watch(t + 100), 'middle');
    vi.advanceTimersByTime(60);
    expect(overdue).toEqual(['early']);
    vi.advanceTimersByTime(60);
    expect(overdue).toEqual(['early', 'middle']);
    vi.advanceTimersByTime(100);
    expect(overdue).toEqual(['early', 'middle', 'late']);
  });
});
