import { describe, expect, it } from 'vitest';
import { answeringPid, killHandler } from './helpers.js';
import { bpfilter, SSH, SSH_OUTSIDE, TABLE } from './api-fixtures.js';

describe('Bpfilter: restart', () => {
  it('SIGKILL between calls: same rules, same verdicts, counters kept', async () => {
    const api = bpfilter();
    await api.replaceTable('filter', TABLE);
    const verdicts = async () =>
      [
        await api.classify('filter', 'INPUT', SSH),
        await api.classify('filter', 'INPUT', SSH_OUTSIDE),
      ].map((r) => [r.verdict, r.rule]);
    const first = await verdicts();
    const before = await api.listTable('filter');
    const pid = await killHandler(api.sockopt!.manager);
    expect(await api.listTable('filter')).toEqual(before);
    expect(api.sockopt!.manager.pid).not.toBe(pid);
    expect(await verdicts()).toEqual(first);
    const after = await api.listTable('filter');
    expect(after.chains.find((c) => c.name === 'ssh')!.rules[0]!.counters).toEqual({
      packets: 2n,
      bytes: 120n,
    });
  });

  it('SIGKILL while classifications are in flight: every acknowledged counter update survives, no other', async () => {
    const api = bpfilter();
    await api.replaceTable('filter', TABLE);
    const firstPid = api.sockopt!.manager.pid!;
    // The handler itself: with its supervisor killed, the handler went on answering until all
    // 40 were acknowledged (the pid unchanged after them, once at load 27).
    const handler = answeringPid(api.sockopt!.manager);
    const calls = Array.from({ length: 40 }, () => api.classify('filter', 'INPUT', SSH));
    // The calls run one after another; the kill lands as the 11th is sent or answered.
    void calls[9]!.then(() => process.kill(handler, 'SIGKILL'));
    const settled = await Promise.allSettled(calls);
    const acknowledged = settled.filter((r) => r.status === 'fulfilled').length;
    expect(acknowledged).toBeGreaterThanOrEqual(10);
    expect(api.sockopt!.manager.pid).not.toBe(firstPid);
    for (const failure of settled.filter((r) => r.status === 'rejected')) {
      expect((failure as PromiseRejectedResult).reason).toMatchObject({
        code: expect.stringMatching(/^UMD_(HANDLER_EXITED|CLOSED)$/),
      });
    }
    const table = await api.listTable('filter');
    expect(table.chains.find((c) => c.name === 'ssh')!.rules[0]!.counters).toEqual({
      packets: BigInt(acknowledged),
      bytes: BigInt(60 * acknowledged),
    });
  });
});
