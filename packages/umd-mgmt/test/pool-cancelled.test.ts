// A pool instance whose handler ignores a cancel (its event loop blocked) is not idle: the next
// request goes to another instance instead of waiting there for its timeout (issue 11).
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
