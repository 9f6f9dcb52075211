import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { IdleTimer } from './idle-timer.js';

describe('IdleTimer', () => {
  it('never fires while busy', async () => {
    let fired = 0;
    const timer = new IdleTimer(20, () => fired++);
    timer.idle();
    timer.busy();
    await sleep(80);
    expect(fired).toBe(0);
  });

  it('fires once, no earlier than idleMs after the last idle()', async () => {
    const fires: number[] = [];
    const timer = new IdleTimer(60, () => fires.push(performance.now()));
    timer.idle();
    await sleep(30);
    timer.busy();
    const lastIdle = performance.now();
    timer.idle(); // the pending timer re-arms for what is left of this new period
    while (fires.length === 0) await sleep(10);
    expect(fires[0]! - lastIdle).toBeGreaterThanOrEqual(59);
    await sleep(150);
    expect(fires).toHaveLength(1);
  });

  it('does nothing after clear()', async () => {
    let fired = 0;
    const timer = new IdleTimer(20, () => fired++);
    timer.idle();
    timer.clear();
    await sleep(60);
    expect(fired).toBe(0);
  });
});
