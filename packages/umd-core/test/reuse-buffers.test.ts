import { expect, it } from 'vitest';
import { FramedChannel, RawChannel } from '../src/index.js';
import { fixture, pattern, reapAfterEach, sameBytes, spawnHandler } from './helpers/handlers.js';
import { KiB, MiB } from './helpers/sizes.js';

// serve({ reuseRequestBuffers: true }): large request buffers are reused once answered. Every
// reply must still be its own request's bytes, whatever the sizes, order and concurrency.

reapAfterEach();

for (const concurrency of [1, 4]) {
  it(`echoes mixed sizes correctly with reused request buffers (concurrency ${concurrency}, maxInFlight 8)`, async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed', {
      ECHO_REUSE: '1',
      ECHO_CONCURRENCY: String(concurrency),
    });
    const channel = FramedChannel.fromChild(handler.child, { maxInFlight: 8 });
    const sizes = Array.from(
      { length: 120 },
      (_, i) => [64 * KiB, 1, 300 * KiB, 64 * KiB + 1, MiB, 20 * KiB, 2 * MiB + 3][i % 7]!,
    );
    const replies = await Promise.all(
      sizes.map((size, i) => channel.request(pattern(size, i), { timeoutMs: 20_000 })),
    );
    replies.forEach((reply, i) =>
      expect(sameBytes(reply, pattern(sizes[i]!, i)), `request ${i} (${sizes[i]} bytes)`).toBe(
        true,
      ),
    );
    // Serialized, shrinking then growing: a reused buffer never leaks a longer earlier request.
    for (const [i, size] of [16 * MiB, MiB, 64 * KiB, 16 * MiB].entries()) {
      expect(
        sameBytes(
          await channel.request(pattern(size, 200 + i), { timeoutMs: 20_000 }),
          pattern(size, 200 + i),
        ),
      ).toBe(true);
    }
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
}

it('raw mode: echoes successive 1 MiB requests correctly with one reused request buffer', async () => {
  const handler = spawnHandler(fixture('echo.mjs'), 'raw', {
    ECHO_REUSE: '1',
    ECHO_REQUEST_SIZE: String(MiB),
  });
  const channel = RawChannel.fromChild(handler.child);
  for (let round = 0; round < 5; round++) {
    expect(
      sameBytes(await channel.exchange(pattern(MiB, round), MiB), pattern(MiB, round)),
      `round ${round}`,
    ).toBe(true);
  }
  channel.close();
  expect(await handler.exited).toEqual({ code: 0, signal: null });
}, 60_000);
