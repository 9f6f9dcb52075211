import { describe, expect, it } from 'vitest';
import { DeadlineWatchdog, type WatchedRequest } from './deadline-watchdog.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeadlineWatchdog', () => {
  it('reports overdue requests in order, skips settled ones, and re-arms for the next deadline', async () => {
    const overdue: WatchedRequest[] = [];
    const watchdog = new DeadlineWatchdog((r) => overdue.push(r));
    const t = performance.now();
    const a = watchdog.watch(t + 30);
    const b = watchdog.watch(t + 40);
    const c = watchdog.watch(t + 120);
    watchdog.unwatch(b);
    await sleep(70);
    expect(overdue).toEqual([a]);
    expect(a.timedOut).toBe(true);
    expect(b.timedOut).toBe(false);
    await sleep(100);
    expect(overdue).toEqual([a, c]);
    watchdog.unwatch(a); // already reported: harmless
    const d = watchdog.watch(performance.now() + 20);
    watchdog.unwatch(d);
    await sleep(40);
    expect(overdue).toHaveLength(2);
    watchdog.clear();
  });

  it('keeps deadlines in order when one comes out of order, and re-arms for an earlier head', async () => {
    const overdue: string[] = [];
    const names = new Map<WatchedRequest, string>();
    const watchdog = new DeadlineWatchdog((r) => overdue.push(names.get(r)!));
    const t = performance.now();
    names.set(watchdog.watch(t + 200), 'late');
    names.set(watchdog.watch(t + 20), 'early');
    names.set(watchdog.watch(t + 100), 'middle');
    await sleep(60);
    expect(overdue).toEqual(['early']);
    await sleep(200);
    expect(overdue).toEqual(['early', 'middle', 'late']);
  });
});
