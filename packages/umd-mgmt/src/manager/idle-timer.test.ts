import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleTimer } from './idle-timer.js';

// The timer and the clock it reads are faked: these tests prove when it fires relative to the
// calls, which a loaded machine must not reorder (a late wake-up of the test behind the timer).
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('IdleTimer', () => {
  it('never fires while busy', () => {
    let fired = 0;
    const timer = new IdleTimer(20, () => fired++);
    timer.idle();
    timer.busy();
    vi.advanceTimersByTime(80);
    expect(fired).toBe(0);
  });

  it('fires once, no earlier than idleMs after the last idle()', () => {
    const fires: number[] = [];
    const timer = new IdleTimer(60, () => fires.push(performance.now()));
    timer.idle();
    vi.advanceTimersByTime(30);
    timer.busy();
    const lastIdle = performance.now();
    timer.idle(); // the pending timer re-arms for what is left of this new period
    vi.advanceTimersByTime(59);
    expect(fires).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fires).toEqual([lastIdle + 60]);
    vi.advanceTimersByTime(150);
    expect(fires).toHaveLength(1);
  });

  it('does nothing after clear()', () => {
    let fired = 0;
    const timer = new IdleTimer(20, () => fired++);
    timer.idle();
    timer.clear();
    vi.advanceTimersByTime(60);
    expect(fired).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
