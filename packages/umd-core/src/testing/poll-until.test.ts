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

describe('pollUntil with a signal', () => {
  it('rejects with the reason when aborted, before or while it polls', async () => {
    const reason = new Error('stop');
    let calls = 0;
    await expect(pollUntil(() => ++calls > 0, { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(calls).toBe(0);
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 30);
    const t0 = Date.now();
    await expect(pollUntil(() => false, { signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(await pollUntil(() => false, { timeoutMs: 20 })).toBe(false);
  });
});
