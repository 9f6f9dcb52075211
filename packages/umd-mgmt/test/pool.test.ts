import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { NO_TIMEOUT, UmdPool } from '../src/index.js';
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

  it('lookahead: a serial handler finds its next request waiting, and still runs one at a time', async () => {
    const plain = pooled({ loader: fixtureLoader('echo'), instances: 2 });
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 2, lookahead: 1 });
    await Promise.all([plain.start(), pool.start()]);
    // An instance looks ahead once it has answered: one request each first, slow enough that
    // twice its time (mayLookAhead's bound) outlasts any pause of a loaded machine in the burst.
    await Promise.all([pool.request(text('overlap:300')), pool.request(text('overlap:300'))]);
    const burst = Array.from({ length: 4 }, () => pool.request(text('overlap:100')));
    expect(pool.stats().instances.map((s) => s.inFlight)).toEqual([2, 2]);
    const fifth = pool.request(text('fifth'));
    expect(pool.stats().total.queued).toBe(1);
    // Without it (the default), the pool keeps them.
    const plainBurst = Array.from({ length: 4 }, () => plain.request(text('overlap:100')));
    expect(plain.stats().instances.map((s) => s.inFlight)).toEqual([1, 1]);
    expect(plain.stats().total.queued).toBe(2);
    // The handler runtime ran each instance's two requests one after the other.
    expect((await Promise.all(burst)).map((r) => str(r))).toEqual(['1', '1', '1', '1']);
    expect(str(await fifth)).toBe('fifth');
    expect((await Promise.all(plainBurst)).map((r) => str(r))).toEqual(['1', '1', '1', '1']);
  });

  it("lookahead 'auto': about 2 ms of an instance's work waits in its handler's input, more of quick requests than of slow ones", async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 2, lookahead: 'auto' });
    await pool.start();
    // Quick replies, many at once, until each instance's pace says so (a loaded machine's pauses
    // between reads can hold it back for a while); a lookahead of 2 never holds more than 3.
    let quick: Promise<Uint8Array>[] = [];
    let held: number[] = [];
    for (let round = 0; round < 10 && !held.some((n) => n > 3); round++) {
      if (round > 0) await Promise.all(quick);
      await Promise.all(Array.from({ length: 200 }, (_, i) => pool.request(text(`q${i}`))));
      quick = Array.from({ length: 40 }, () => pool.request(text('overlap:20')));
      held = pool.stats().instances.map((s) => s.inFlight);
    }
    expect(held.some((n) => n > 3)).toBe(true);
    for (const n of held) expect(n).toBeLessThanOrEqual(17);
    // Still one request at a time in each handler, however many wait in its input.
    expect(new Set((await Promise.all(quick)).map(str))).toEqual(new Set(['1']));
    // 20 ms a reply now: the least, 2 beyond the one running.
    const slow = Array.from({ length: 8 }, () => pool.request(text('overlap:20')));
    expect(pool.stats().instances.map((s) => s.inFlight)).toEqual([3, 3]);
    expect(pool.stats().total.queued).toBe(2);
    await Promise.all(slow);
  });

  it('lookahead: nothing waits behind an instance that has not answered yet (a hang on a fresh pool)', async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 2, lookahead: 1 });
    await pool.start();
    const hold = new AbortController();
    const held = rejection(pool.request(text('hold:'), { signal: hold.signal }));
    const quick = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pool.request(text(`q${i}`))),
    );
    expect(quick.map(str)).toEqual(Array.from({ length: 20 }, (_, i) => `q${i}`));
    // Every quick one went to the other instance, in turn or waiting in its input.
    expect(pool.stats().instances.map((s) => s.replies)).toEqual([0, 20]);
    hold.abort();
    expect(await held).toMatchObject({ code: 'UMD_ABORTED' });
  });

  it('lookahead: a killed instance fails only what it held, the request waiting in its input included', async () => {
    const pool = pooled({
      loader: fixtureLoader('echo'),
      instances: 2,
      lookahead: 1,
      // pids are the handlers themselves: a PID namespace's supervisor, killed, passes the
      // SIGKILL on only when its exit runs, and a loaded machine's handler answers on meanwhile.
      sandbox: { containment: 'process-group' },
    });
    await pool.start();
    // Slow first replies: twice their time (mayLookAhead's bound) outlasts a loaded machine's pauses.
    await Promise.all([pool.request(text('delay:300:w0')), pool.request(text('delay:300:w1'))]);
    const victim = pool.pids[1]!;
    const N = 200;
    const calls = Array.from({ length: N }, (_, i) =>
      pool.request(text(`delay:5:request ${i}`)).then(
        (reply) => ({ i, reply: str(reply) }),
        (error: { code: string; pid?: number }) => ({ i, error }),
      ),
    );
    // Both instances hold two requests now; kill one once the burst has started answering.
    expect(pool.stats().instances.map((s) => s.inFlight)).toEqual([2, 2]);
    void calls[0]!.then(() => process.kill(victim, 'SIGKILL'));
    const results = await Promise.all(calls);
    const failures = results.filter((r) => 'error' in r);
    const replies = results.filter((r) => 'reply' in r) as { i: number; reply: string }[];
    for (const r of replies) expect(r.reply).toBe(`request ${r.i}`);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.length).toBeLessThanOrEqual(2);
    for (const f of failures)
      expect((f as { error: object }).error).toMatchObject({
        code: 'UMD_HANDLER_EXITED',
        pid: victim,
      });
    expect(replies.length + failures.length).toBe(N);
    expect(pool.stats().instances.map((s) => s.restarts)).toEqual([0, 1]);
  });

  it("lookahead: a request with a timeout of its own never waits in a handler's input", async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 2, lookahead: 1 });
    await pool.start();
    await Promise.all([pool.request(text('delay:300:w0')), pool.request(text('delay:300:w1'))]);
    const heads = [pool.request(text('delay:600:h0')), pool.request(text('delay:600:h1'))];
    // A signal is fine: an abort there cancels the waiting request, the handler goes on.
    const controller = new AbortController();
    const aborted = rejection(pool.request(text('a'), { signal: controller.signal }));
    expect(pool.stats().instances.map((s) => s.inFlight)).toEqual([2, 1]);
    // Its 100 ms would pass in the handler's input and kill the handler, head and all.
    const timed = pool.request(text('t'), { timeoutMs: 100 }).then(str, (e) => e.code);
    expect(pool.stats().instances.map((s) => s.inFlight)).toEqual([2, 1]);
    expect(pool.stats().total.queued).toBe(1);
    controller.abort();
    expect(await aborted).toMatchObject({ code: 'UMD_ABORTED' });
    expect((await Promise.all(heads)).map(str)).toEqual(['h0', 'h1']);
    expect(['t', 'UMD_TIMEOUT']).toContain(await timed);
    expect(pool.stats().instances.map((s) => s.restarts)).toEqual([0, 0]);
  });

  it("lookahead: raw requests never wait in a handler's input", async () => {
    const pool = pooled({ loader: fixtureLoader('raw'), instances: 2, lookahead: 1 });
    await pool.start();
    const request = () => pool.requestRaw(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 16);
    await Promise.all([request(), request()]);
    const burst = Array.from({ length: 4 }, request);
    expect(pool.stats().instances.map((s) => s.inFlight)).toEqual([1, 1]);
    expect(pool.stats().total.queued).toBe(2);
    for (const reply of await Promise.all(burst)) expect(reply[0]).toBe(8);
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
    while (idles.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(idles.sort()).toEqual([0, 1]);
    for (const pid of first) expect(await waitForDeath(pid)).toBe(true);
    expect(pool.stats().running).toBe(0);
    expect(str(await pool.request(text('again')))).toBe('again');
    expect(pool.stats()).toMatchObject({ running: 1, total: { starts: 3, restarts: 0 } });
  });

  it('times out in its queue, honours abort there, and refuses beyond maxQueue', async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 1, maxQueue: 2 });
    const ahead = new AbortController();
    const busy = rejection(pool.request(text('hold:'), { signal: ahead.signal }));
    const timedOut = pool.request(text('late'), { timeoutMs: 50 });
    const controller = new AbortController();
    const aborted = pool.request(text('late'), { signal: controller.signal });
    expect(await rejection(pool.request(text('third')))).toMatchObject({ code: 'UMD_QUEUE_FULL' });
    controller.abort(new DOMException('slow', 'TimeoutError'));
    expect(await rejection(aborted)).toMatchObject({ code: 'UMD_TIMEOUT' });
    expect(await rejection(timedOut)).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    ahead.abort();
    expect(await busy).toMatchObject({ code: 'UMD_ABORTED' });
    expect(pool.stats().total).toMatchObject({ requests: 3, replies: 0, failures: 3 });
  });

  it('counts the default timeout from the call, its time in the queue included', async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 1, requestTimeoutMs: 1000 });
    await pool.start();
    const hold = new AbortController();
    const busy = rejection(
      pool.request(text('hold:busy'), { timeoutMs: NO_TIMEOUT, signal: hold.signal }),
    );
    const t0 = performance.now();
    const queued = rejection(pool.request(text('delay:800:late')));
    // Free the instance 600 ms (or, on a slow machine, more) into `queued`'s 1000: at most
    // 400 ms are left for an answer that takes 800, however late this runs.
    await new Promise((resolve) => setTimeout(resolve, 600 - (performance.now() - t0)));
    hold.abort();
    expect(await busy).toMatchObject({ code: 'UMD_ABORTED' });
    expect(await queued).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    expect(pool.stats().total).toMatchObject({ requests: 2, replies: 0, failures: 2 });
  });

  it('bounds the bytes in its queue by maxQueuedBytes; a waiter that leaves frees its bytes', async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 1, maxQueuedBytes: 1000 });
    // The pool's own queue: the total less what waits at the instance (its first request).
    const inQueue = () => {
      const { total, instances } = pool.stats();
      return total.queuedBytes - instances[0]!.queuedBytes;
    };
    const busy = pool.request(text('delay:300:busy'));
    const first = pool.request(new Uint8Array(600));
    const controller = new AbortController();
    const aborted = rejection(pool.request(new Uint8Array(300), { signal: controller.signal }));
    expect(inQueue()).toBe(900);
    expect(await rejection(pool.request(new Uint8Array(200)))).toMatchObject({
      code: 'UMD_QUEUE_FULL',
    });
    controller.abort();
    expect(await aborted).toMatchObject({ code: 'UMD_ABORTED' });
    expect(inQueue()).toBe(600);
    // The rest of the bound, less the first request's bytes if its handler has not read them.
    const second = pool.request(new Uint8Array(1000 - pool.stats().total.queuedBytes));
    expect(str(await busy)).toBe('busy');
    expect((await first).byteLength).toBe(600);
    expect((await second).byteLength).toBeGreaterThanOrEqual(386);
    expect(pool.stats().total.queuedBytes).toBe(0);
  });

  it("bounds by maxQueuedBytes the pool's total: its queue and every instance's unwritten bytes", async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 2, maxQueuedBytes: 2500 });
    const total = () => pool.stats().total.queuedBytes;
    // Both handlers are starting: each instance holds its request's bytes until HELLO.
    const sent = [pool.request(new Uint8Array(1000)), pool.request(new Uint8Array(1000))];
    expect(pool.stats().instances.map((s) => s.queuedBytes)).toEqual([1000, 1000]);
    expect(total()).toBe(2000);
    // A third would wait in the pool's queue with room of its own, but the pool is at 2000.
    const refused = await rejection(pool.request(new Uint8Array(1000)));
    expect(refused).toMatchObject({
      code: 'UMD_QUEUE_FULL',
      message: expect.stringContaining('maxQueuedBytes (2500)'),
    });
    // Exactly up to the bound still waits.
    sent.push(pool.request(new Uint8Array(500)));
    expect(total()).toBe(2500);
    expect(await rejection(pool.request(new Uint8Array(1)))).toMatchObject({
      code: 'UMD_QUEUE_FULL',
    });
    expect((await Promise.all(sent)).map((r) => r.byteLength)).toEqual([1000, 1000, 500]);
    expect(total()).toBe(0);
    expect(pool.stats().total).toMatchObject({ requests: 3, replies: 3, failures: 0 });
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

  it("instances 'auto' looks ahead by default where it has more than one instance", async () => {
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 'auto' });
    await pool.start();
    const size = pool.size;
    // Slow first replies: twice their time (mayLookAhead's bound) outlasts a loaded machine's pauses.
    await Promise.all(Array.from({ length: size }, () => pool.request(text('delay:300:first'))));
    expect(pool.stats().instances.map((s) => s.replies)).toEqual(Array(size).fill(1));
    const burst = Array.from({ length: 3 * size }, () => pool.request(text('delay:50:x')));
    const held = size > 1 ? 3 : 1;
    expect(pool.stats().instances.map((s) => s.inFlight)).toEqual(Array(size).fill(held));
    await Promise.all(burst);
    const explicit = pooled({ loader: fixtureLoader('echo'), instances: 'auto', lookahead: 0 });
    await explicit.start();
    await Promise.all(Array.from({ length: size }, () => explicit.request(text('first'))));
    const plain = Array.from({ length: 2 * size }, () => explicit.request(text('delay:50:x')));
    expect(explicit.stats().instances.map((s) => s.inFlight)).toEqual(Array(size).fill(1));
    await Promise.all(plain);
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
