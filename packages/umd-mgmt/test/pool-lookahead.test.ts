import { describe, expect, it } from 'vitest';
import { fixtureLoader, pooled, rejection, str, text } from './helpers/fixtures.js';

describe('UmdPool lookahead', () => {
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
});
