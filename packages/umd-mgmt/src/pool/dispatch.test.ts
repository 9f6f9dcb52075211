import { describe, expect, it } from 'vitest';
import type { UmdManager } from '../manager/umd-manager.js';
import { type PoolInstance, pickInstance, settled } from './dispatch.js';

const instance = (
  index: number,
  load: number,
  state = 'running',
  downUntil = 0,
  handedAt: number[] = Array(load).fill(0),
  typicalMs: number | undefined = undefined,
): PoolInstance => {
  // An instance's load is the number of requests it holds.
  expect(handedAt).toHaveLength(load);
  return { index, manager: { state } as UmdManager, downUntil, handedAt, typicalMs };
};

describe('pickInstance', () => {
  it('takes the least-loaded instance with a free slot', () => {
    const pool = [instance(0, 3), instance(1, 1), instance(2, 2)];
    expect(pickInstance(pool, 4, 0)?.index).toBe(1);
    expect(pickInstance([instance(0, 4), instance(1, 4)], 4, 0)).toBeUndefined();
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
});
