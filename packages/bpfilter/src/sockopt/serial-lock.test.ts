import { describe, expect, it } from 'vitest';
import { SerialLock } from './serial-lock.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SerialLock', () => {
  it('runs tasks one at a time in call order, also after a failure', async () => {
    const lock = new SerialLock();
    const log: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        log.push(`${name}+`);
        await sleep(5);
        log.push(`${name}-`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      lock.run(task('a')),
      lock.run(task('b', true)),
      lock.run(task('c')),
    ]);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('an abort while waiting rejects at once with UMD_ABORTED and the task never runs; a running task is not cut short', async () => {
    const lock = new SerialLock();
    const ran: string[] = [];
    let slowDone = false;
    const slow = lock.run(async () => {
      ran.push('slow');
      await sleep(50);
      slowDone = true;
      return 'slow';
    });
    const waiting = new AbortController();
    const queued = lock.run(async () => {
      ran.push('queued');
      return 'queued';
    }, waiting.signal);
    const running = new AbortController();
    const started = lock.run(async () => {
      ran.push('started');
      running.abort();
      await sleep(5);
      return 'started';
    }, running.signal);
    waiting.abort();
    await expect(queued).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    // At once: before the task ahead of it finished (an order, not a time, so load cannot fail it).
    expect(slowDone).toBe(false);
    expect(await slow).toBe('slow');
    expect(await started).toBe('started');
    expect(ran).toEqual(['slow', 'started']);
    const already = new AbortController();
    already.abort();
    await expect(lock.run(async () => ran.push('never'), already.signal)).rejects.toMatchObject({
      code: 'UMD_ABORTED',
    });
    expect(ran).not.toContain('never');
  });
});
