import { describe, expect, it } from 'vitest';
import type { UmdManager } from '../manager/umd-manager.js';
import { type PoolInstance, pickInstance } from './dispatch.js';

const instance = (index: number, load: number, state = 'running', downUntil = 0): PoolInstance => ({
  index,
  manager: { state } as UmdManager,
  load,
  downUntil,
});

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
});
