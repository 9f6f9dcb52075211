import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { FramedChannel } from '../src/index.js';
import { fixture, reapAfterEach, spawnHandler } from './helpers/handlers.js';

reapAfterEach();

const encode = (text: string) => new TextEncoder().encode(text);

// Requests a pipelining host sends together come in one read; the first one's reply must leave
// before the handler works on the next, so that the host can take it in meanwhile. Here the
// second request blocks its (synchronous) handler until the host has the first reply: held
// together with the second's, that reply would never come (the first request times out).
for (const concurrency of [1, 16]) {
  it(`answers the first request of a read before working on the next (concurrency ${concurrency})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'umd-batch-'));
    const handler = spawnHandler(fixture('wait-for-file.mjs'), 'framed', {
      WAIT_CONCURRENCY: String(concurrency),
    });
    const channel = FramedChannel.fromChild(handler.child, { maxInFlight: 2 });
    const flag = join(dir, 'first-reply-seen');
    try {
      // Issued in one tick: one write, one read in the handler.
      const first = channel.request(encode('echo'), { timeoutMs: 5_000 });
      const second = channel.request(encode(`wait ${flag}`), { timeoutMs: 20_000 });
      expect(new TextDecoder().decode(await first)).toBe('echo');
      writeFileSync(flag, '');
      expect(new TextDecoder().decode(await second)).toBe(`wait ${flag}`);
    } finally {
      writeFileSync(flag, ''); // a failed run's handler is still waiting for it
      channel.close();
      await handler.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
}
