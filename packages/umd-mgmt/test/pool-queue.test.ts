import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { NO_TIMEOUT } from '../src/index.js';
import { fixtureLoader, pooled, rejection, str, text } from './helpers/fixtures.js';

describe('UmdPool queue', () => {
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
    await sleep(600 - (performance.now() - t0));
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
});
