import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { UmdPool } from '../src/index.js';
import { fixtureLoader, pooled, rejection, str, text } from './helpers/fixtures.js';
import { isAlive, waitForDeath } from './helpers/process-table.js';

const concurrent = (n: number) => ({ env: { UMD_FIXTURE_CONCURRENCY: String(n) } });

describe('UmdPool', () => {
  it('a pool of 4, one instance SIGKILLed mid-burst: every caller gets its own reply or a typed error of that instance only', async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 4 });
    await pool.start();
    const pids = pool.pids as number[];
    expect(new Set(pids).size).toBe(4);
    const victim = pids[1]!;
    const N = 400;
    const calls = Array.from({ length: N }, (_, i) =>
      pool.request(text(`delay:5:request ${i}`)).then(
        (reply) => ({ i, reply: str(reply) }),
        (error: { code: string; pid?: number }) => ({ i, error }),
      ),
    );
    let killed = false;
    const exits: { pid: number; instance: number; expected: boolean }[] = [];
    pool.on('exit', (e) => exits.push(e));
    // Once a few replies are in, kill instance 1 while the queue is still long.
    setTimeout(() => {
      process.kill(victim, 'SIGKILL');
      killed = true;
    }, 100);
    const results = await Promise.all(calls);
    expect(killed).toBe(true);
    const failures = results.filter((r) => 'error' in r);
    const replies = results.filter((r) => 'reply' in r) as { i: number; reply: string }[];
    for (const r of replies) expect(r.reply).toBe(`request ${r.i}`);
    // Only what the victim had in flight failed (maxInFlight 1): typed, naming the victim.
    expect(failures.length).toBeLessThanOrEqual(1);
    for (const f of failures) {
      expect((f as { error: object }).error).toMatchObject({
        code: 'UMD_HANDLER_EXITED',
        pid: victim,
        signal: 'SIGKILL',
      });
    }
    expect(replies.length + failures.length).toBe(N);
    expect(exits).toEqual([expect.objectContaining({ pid: victim, instance: 1, expected: false })]);
    // The other instances never restarted; instance 1 was refilled lazily by the queue.
    const stats = pool.stats();
    expect(stats.instances.map((s) => s.restarts)).toEqual([0, 1, 0, 0]);
    expect(pool.pids.filter((_, i) => i !== 1)).toEqual(pids.filter((_, i) => i !== 1));
    expect(pool.pids[1]).not.toBe(victim);
    expect(stats.total).toMatchObject({
      requests: N,
      replies: replies.length,
      failures: failures.length,
      starts: 5,
      restarts: 1,
      inFlight: 0,
      queued: 0,
    });
    // Every instance served a share of the burst.
    for (const s of stats.instances) expect(s.replies).toBeGreaterThan(10);
  });

  it('sends each request to the least-loaded instance', async () => {
    const pool = pooled({
      loader: fixtureLoader('echo'),
      instances: 3,
      maxInFlight: 2,
      ...concurrent(2),
      // Handlers answer with their own pid: in a PID namespace every one would say 1.
      sandbox: { containment: 'process-group' },
    });
    await pool.start();
    const pids = pool.pids;
    const slow = Array.from({ length: 6 }, () => pool.request(text('delay:400:pid')));
    expect(pool.stats().instances.map((s) => s.inFlight)).toEqual([2, 2, 2]);
    // Full: the seventh waits in the pool's queue, not behind one instance.
    const seventh = pool.request(text('pid:'));
    expect(pool.stats().total.queued).toBe(1);
    const answered = (await Promise.all(slow)).map((r) => Number(str(r)));
    expect(answered).toEqual([pids[0], pids[1], pids[2], pids[0], pids[1], pids[2]]);
    expect(pids).toContain(Number(str(await seventh)));
  });

  it('keeps serving on the other instances while one hangs', async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 2 });
    await pool.start();
    let hungSettled = false;
    const hung = pool.request(text('hang:'), { timeoutMs: 3000 }).finally(() => {
      hungSettled = true;
    });
    const quick = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pool.request(text(`q${i}`))),
    );
    expect(quick.map(str)).toEqual(Array.from({ length: 20 }, (_, i) => `q${i}`));
    expect(hungSettled).toBe(false);
    expect(await rejection(hung)).toMatchObject({ code: 'UMD_TIMEOUT' });
  });

  it('grows lazily: a serial caller uses one handler', async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 4 });
    for (let i = 0; i < 20; i++) expect(str(await pool.request(text(`s${i}`)))).toBe(`s${i}`);
    expect(pool.stats()).toMatchObject({ size: 4, running: 1, total: { starts: 1 } });
    expect(pool.pids.filter((p) => p !== undefined)).toHaveLength(1);
  });

  it('stops idle instances and starts them again on demand', async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 2, idleTimeoutMs: 200 });
    const idles: number[] = [];
    const first: number[] = [];
    pool.on('idle', ({ instance }) => idles.push(instance));
    // From the events, not from pool.pids after the burst: on a loaded machine one instance can
    // be idle long enough to be stopped before the other's start has finished.
    pool.on('start', ({ pid }) => first.push(pid));
    await Promise.all(Array.from({ length: 4 }, () => pool.request(text('delay:50:x'))));
    expect(first).toHaveLength(2);
    while (idles.length < 2) await sleep(50);
    expect(idles.sort()).toEqual([0, 1]);
    for (const pid of first) expect(await waitForDeath(pid)).toBe(true);
    expect(pool.stats().running).toBe(0);
    expect(str(await pool.request(text('again')))).toBe('again');
    expect(pool.stats()).toMatchObject({ running: 1, total: { starts: 3, restarts: 0 } });
  });

  it('stop() fails its queue with UMD_STOPPED; await using stops every instance', async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 1 });
    const busy = rejection(pool.request(text('delay:200:x')));
    const queued = rejection(pool.request(text('y')));
    await pool.stop({ graceMs: 100 });
    expect(await queued).toMatchObject({ code: 'UMD_STOPPED' });
    expect(await busy).toMatchObject({ code: 'UMD_STOPPED' });

    let pids: number[] = [];
    {
      await using scoped = new UmdPool({
        name: 'scoped',
        loader: fixtureLoader('echo'),
        instances: 2,
      });
      await scoped.start();
      pids = scoped.pids as number[];
      expect(pids.every((pid) => isAlive(pid))).toBe(true);
    }
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});
