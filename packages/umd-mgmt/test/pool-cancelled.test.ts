// A pool instance whose handler ignores a cancel (its event loop blocked), or whose raw channel
// still waits for an aborted exchange's reply, is not idle: the next request goes to another
// instance instead of waiting there for its timeout (issue 11).
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { blockDir, untilBlocked } from './helpers/block-dir.js';
import { fixtureLoader, pooled, rejection, str, text } from './helpers/fixtures.js';

it('after an abort its blocked handler ignores, the next request goes to the idle instance', async () => {
  const dir = await blockDir();
  const pool = pooled({
    loader: fixtureLoader('echo'),
    instances: 2,
    sandbox: { permission: false },
    requestTimeoutMs: 5000,
  });
  try {
    const abort = new AbortController();
    const blocked = rejection(pool.request(text(`block:${dir}`), { signal: abort.signal }));
    await untilBlocked(dir);
    abort.abort();
    expect(await blocked).toMatchObject({ code: 'UMD_ABORTED' });
    const t0 = performance.now();
    expect(str(await pool.request(text('delay:0:pid')))).not.toBe('');
    // Answered by the other instance (a start included), not after the blocked one's timeout.
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(pool.stats().total.restarts).toBe(0);
  } finally {
    await writeFile(join(dir, 'go'), '');
    await pool.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 20_000);

it('raw: after an abort whose reply the handler holds, the next exchange goes to the idle instance', async () => {
  // The held handler is only let go by the stop's signals: a short grace.
  const pool = pooled({
    loader: fixtureLoader('raw'),
    instances: 2,
    requestTimeoutMs: 5000,
    stopGraceMs: 100,
  });
  try {
    const exchange = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    await pool.requestRaw(exchange, 16); // one instance running, the other not started
    const abort = new AbortController();
    // The raw fixture holds the reply to a request starting with 0xFE (until SIGUSR2).
    const held = rejection(
      pool.requestRaw(Uint8Array.of(0xfe, 0, 0, 0, 0, 0, 0, 0), 16, { signal: abort.signal }),
    );
    await sleep(50); // written: the channel waits for its reply
    abort.abort();
    expect(await held).toMatchObject({ code: 'UMD_ABORTED' });
    const t0 = performance.now();
    const reply = await pool.requestRaw(exchange, 16);
    expect([...reply.subarray(8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    // Answered by the other instance (a start included), not after the held one's timeout.
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(pool.stats().total.restarts).toBe(0);
  } finally {
    await pool.stop();
  }
}, 20_000);
