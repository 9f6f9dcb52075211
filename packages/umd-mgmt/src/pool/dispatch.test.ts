import { describe, expect, it } from 'vitest';
import { cancelledUnanswered, type UmdManager } from '../manager/umd-manager.js';
import {
  AUTO_LOOKAHEAD_MAX,
  AUTO_LOOKAHEAD_MIN,
  lookaheadOf,
  type PoolInstance,
  pickInstance,
  settled,
} from './dispatch.js';

const instance = (
  index: number,
  load: number,
  state = 'running',
  downUntil = 0,
  handedAt: number[] = Array(load).fill(0),
  typicalMs: number | undefined = undefined,
  serviceMs: number | undefined = typicalMs,
  cancelled = 0,
): PoolInstance => {
  // An instance's load is the number of requests it holds.
  expect(handedAt).toHaveLength(load);
  const manager = { state, [cancelledUnanswered]: () => cancelled } as unknown as UmdManager;
  const behind = { timer: undefined, reclaimedFor: undefined };
  return { index, manager, downUntil, handedAt, typicalMs, serviceMs, lastReplyAt: 0, behind };
};

describe('pickInstance', () => {
  it('takes the least-loaded instance with a free slot', () => {
    const pool = [instance(0, 3), instance(1, 1), instance(2, 2)];
    expect(pickInstance(pool, 4, 0)?.index).toBe(1);
    expect(pickInstance([instance(0, 4), instance(1, 4)], 4, 0)).toBeUndefined();
  });

  it('counts cancelled requests not yet answered as load, never against a slot', () => {
    // Instance 0 holds nothing but has not answered a cancelled request (its handler may be stuck).
    const stuck = instance(0, 0, 'running', 0, [], undefined, undefined, 1);
    expect(pickInstance([stuck, instance(1, 0)], 1, 0)?.index).toBe(1);
    // Every other instance is busier, or full: the stuck one still takes the request.
    expect(pickInstance([stuck, instance(1, 1)], 2, 0)?.index).toBe(0);
    expect(pickInstance([stuck, instance(1, 1)], 1, 0)?.index).toBe(0);
  });

  it('prefers a running handler to one that must start, at equal load', () => {
    expect(pickInstance([instance(0, 0, 'idle'), instance(1, 0)], 1, 0)?.index).toBe(1);
    expect(pickInstance([instance(0, 1), instance(1, 0, 'idle')], 2, 0)?.index).toBe(1);
  });

  it('skips instances marked down unless every instance is', () => {
    expect(pickInstance([instance(0, 0, 'failed', 10), instance(1, 1)], 2, 5)?.index).toBe(1);
    expect(
      pickInstance([instance(0, 0, 'failed', 10), instance(1, 1, 'failed', 10)], 2, 5)?.index,
    ).toBe(0);
    expect(pickInstance([instance(0, 0, 'failed', 10)], 2, 11)?.index).toBe(0);
  });

  it('looks ahead only on a running instance that has answered and whose oldest request is young', () => {
    // Full at maxInFlight 1; a lookahead of 1 lets the second request wait in the handler's input.
    const answered = instance(0, 1, 'running', 0, [100], 10);
    expect(pickInstance([answered], 1, 105)).toBeUndefined();
    expect(pickInstance([answered], 1, 105, 1)).toBe(answered);
    expect(pickInstance([instance(0, 2, 'running', 0, [100, 101], 10)], 1, 105, 1)).toBeUndefined();
    // Never answered yet: its first request may be a hang.
    expect(pickInstance([instance(0, 1, 'running', 0, [100])], 1, 105, 1)).toBeUndefined();
    // Its oldest request has taken twice its typical time: nothing more queues behind it.
    expect(pickInstance([instance(0, 1, 'running', 0, [100], 10)], 1, 120, 1)).toBeUndefined();
    expect(pickInstance([instance(0, 1, 'starting', 0, [100], 10)], 1, 105, 1)).toBeUndefined();
    // A free slot elsewhere wins over waiting in a busy handler's input.
    const free = instance(1, 0, 'running', 0, [], 10);
    expect(pickInstance([answered, free], 1, 105, 1)).toBe(free);
  });
});

describe('lookaheadOf', () => {
  it("keeps a fixed lookahead, and about 2 ms of the instance's work with 'auto'", () => {
    expect(lookaheadOf(instance(0, 0, 'running', 0, [], 1, 0.01), 3)).toBe(3);
    // Before its first reply nothing is known of its pace: the least.
    expect(lookaheadOf(instance(0, 0), 'auto')).toBe(AUTO_LOOKAHEAD_MIN);
    // 0.4 ms a reply (a 64 KiB JSON parse): 5; 8 ms (1 MiB): the least; 10 µs: the most.
    expect(lookaheadOf(instance(0, 0, 'running', 0, [], 2, 0.4), 'auto')).toBe(5);
    expect(lookaheadOf(instance(0, 0, 'running', 0, [], 20, 8), 'auto')).toBe(AUTO_LOOKAHEAD_MIN);
    expect(lookaheadOf(instance(0, 0, 'running', 0, [], 1, 0.01), 'auto')).toBe(AUTO_LOOKAHEAD_MAX);
    expect(lookaheadOf(instance(0, 0, 'running', 0, [], 1, 0), 'auto')).toBe(AUTO_LOOKAHEAD_MAX);
  });

  it("lets a quick instance hold its 'auto' lookahead, a slow one its least", () => {
    const quick = instance(0, 17, 'running', 0, Array(17).fill(100), 10, 0.01);
    expect(pickInstance([quick], 1, 105, 'auto')).toBeUndefined();
    quick.handedAt.pop();
    expect(pickInstance([quick], 1, 105, 'auto')).toBe(quick);
    const slow = instance(0, 3, 'running', 0, [100, 100, 100], 30, 8);
    expect(pickInstance([slow], 1, 105, 'auto')).toBeUndefined();
    slow.handedAt.pop();
    expect(pickInstance([slow], 1, 105, 'auto')).toBe(slow);
  });
});

describe('settled', () => {
  it('frees the slot, forgets the hand-over and averages the time of replies only', () => {
    const i = instance(0, 2, 'running', 0, [10, 20]);
    settled(i, 10, 30, true);
    expect(i).toMatchObject({ handedAt: [20], typicalMs: 20 });
    settled(i, 20, 100, false);
    expect(i).toMatchObject({ handedAt: [], typicalMs: 20 });
    i.handedAt.push(100);
    settled(i, 100, 108, true);
    expect(i.typicalMs).toBe(18.5);
  });

  it('measures the time per reply from the previous reply while the instance is busy', () => {
    const i = instance(0, 3, 'running', 0, [0, 0, 50]);
    settled(i, 0, 10, true); // idle before: from its hand-over
    expect(i).toMatchObject({ serviceMs: 10, lastReplyAt: 10 });
    settled(i, 0, 14, true); // waited in the handler's input: from the reply before
    expect(i.serviceMs).toBe(9.25);
    settled(i, 50, 52, true); // handed over after that reply: from its hand-over
    expect(i.serviceMs).toBeCloseTo(8.34375);
  });
});
