import { describe, expect, it } from 'vitest';
import { pollUntil } from './poll-until.js';

describe('pollUntil', () => {
  it('resolves true once the check holds, without waiting when it holds at once', async () => {
    let calls = 0;
    expect(await pollUntil(() => ++calls === 3)).toBe(true);
    expect(calls).toBe(3);
    expect(await pollUntil(() => true, 0)).toBe(true);
  });

  it('resolves false when the check never holds within the bound', async () => {
    const t0 = Date.now();
    expect(await pollUntil(() => false, 50)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
  });
});
