import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { UmdPool } from '../src/index.js';
import { fixtureLoader, pooled, rejection, str, text } from './helpers/fixtures.js';

describe('UmdPool options', () => {
  it('refuses bad options and per-request options as a manager does, whether a request would be sent or queued', async () => {
    for (const bad of [{ maxQueue: Number.NaN }, { maxQueue: -1 }, { requestTimeoutMs: 2 ** 31 }])
      expect(() => new UmdPool({ name: 'x', loader: fixtureLoader('echo'), ...bad })).toThrow(
        expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }),
      );
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 1 });
    const badRequests = [
      { timeoutMs: 2 ** 31 },
      { timeoutMs: Number.NaN },
      { timeoutMs: 0 },
      { timeoutMs: '100' },
      { signal: 'no' },
    ] as never[];
    const refuseAll = async () => {
      for (const options of badRequests)
        expect(await rejection(pool.request(text('x'), options))).toMatchObject({
          code: 'UMD_INVALID_ARGUMENT',
        });
      expect(await rejection(pool.request('x' as never))).toMatchObject({
        code: 'UMD_INVALID_ARGUMENT',
      });
    };
    await refuseAll(); // an instance is free: the request would go out at once
    const busy = pool.request(text('delay:200:busy'));
    await refuseAll(); // the only instance is busy: the request would wait in the pool's queue
    const unbounded = pool.request(text('late'), { timeoutMs: Number.POSITIVE_INFINITY });
    expect(str(await busy)).toBe('busy');
    expect(str(await unbounded)).toBe('late');
    expect(pool.stats().total).toMatchObject({ requests: 2, replies: 2 });
  });

  it('validates lookahead', () => {
    for (const lookahead of [-1, 0.5, 1025, '1', 'Auto']) {
      expect(
        () =>
          new UmdPool({ name: 'x', loader: fixtureLoader('echo'), lookahead: lookahead as number }),
      ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
    }
  });

  it("validates instances; 'auto' is the number of available cores", () => {
    for (const instances of [0, -1, 1.5, 'many', Number.NaN]) {
      expect(
        () =>
          new UmdPool({ name: 'x', loader: fixtureLoader('echo'), instances: instances as number }),
      ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
    }
    expect(new UmdPool({ name: 'x', loader: fixtureLoader('echo'), instances: 'auto' }).size).toBe(
      availableParallelism(),
    );
    expect(new UmdPool({ name: 'x', loader: fixtureLoader('echo') }).size).toBe(1);
  });
});
