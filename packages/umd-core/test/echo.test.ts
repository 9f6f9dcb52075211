import { describe, expect, it } from 'vitest';
import { FramedChannel, RawChannel } from '../src/index.js';
import {
  echoHandlers,
  expectEchoes,
  expectPipelinedEchoes,
  fixture,
  pattern,
  reapAfterEach,
  sameBytes,
  spawnHandler,
} from './helpers/handlers.js';
import { KiB, MiB } from './helpers/sizes.js';

const SIZES = [0, 1, 64, 64 * KiB, 64 * KiB + 1, MiB, 16 * MiB, 64 * MiB];

reapAfterEach();

const handlers = echoHandlers('echo-c', 'C (wire-format.md + native/umd_wire.h)');

for (const { lang, file } of handlers) {
  describe(`${lang} echo handler`, () => {
    it('framed mode echoes 0 B to 64 MiB, then exits 0 at end of input', async () => {
      const handler = spawnHandler(file(), 'framed');
      const channel = FramedChannel.fromChild(handler.child);
      const hello = await channel.waitForHello();
      expect(hello).toMatchObject({ version: 1, maxPayload: 64 * MiB });
      await expectEchoes(channel, SIZES);
      channel.close();
      expect(await handler.exited).toEqual({ code: 0, signal: null });
    }, 60_000);

    it('pipelines 300 requests of mixed sizes with maxInFlight 16, each reply matching its request', async () => {
      const handler = spawnHandler(file(), 'framed');
      const channel = FramedChannel.fromChild(handler.child, { maxInFlight: 16 });
      await expectPipelinedEchoes(channel, [0, 1, 64, 4 * KiB, 20 * KiB, 64 * KiB + 1]);
      channel.close();
      expect(await handler.exited).toEqual({ code: 0, signal: null });
    }, 60_000);

    it('raw mode echoes 1 B to 64 MiB, each size a fresh handler with that request size', async () => {
      // 0 B needs no handler: like umd_send_recv, nothing is written or read.
      const idle = spawnHandler(file(), 'raw', { ECHO_REQUEST_SIZE: '1' });
      expect(
        (await RawChannel.fromChild(idle.child).exchange(new Uint8Array(0), 0)).byteLength,
      ).toBe(0);
      for (const size of SIZES.filter((size) => size > 0)) {
        const handler = spawnHandler(file(), 'raw', { ECHO_REQUEST_SIZE: String(size) });
        const channel = RawChannel.fromChild(handler.child);
        const payload = pattern(size, size + 3);
        for (let round = 0; round < (size <= MiB ? 3 : 1); round++) {
          const reply = await channel.exchange(payload, size);
          expect(sameBytes(reply, payload), `raw echo of ${size} bytes`).toBe(true);
        }
        channel.close();
        expect(await handler.exited).toEqual({ code: 0, signal: null });
      }
    }, 60_000);
  });
}

describe('JS handler with readMode stream (the event-loop reader)', () => {
  it('echoes small and large payloads, pipelined', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed', { ECHO_READ_MODE: 'stream' });
    const channel = FramedChannel.fromChild(handler.child, { maxInFlight: 8 });
    const sizes = [0, 1, 64, 64 * KiB + 1, MiB, 3, 16 * MiB];
    const replies = await Promise.all(
      sizes.map((size) => channel.request(pattern(size, size), { timeoutMs: 20_000 })),
    );
    replies.forEach((reply, i) =>
      expect(sameBytes(reply, pattern(sizes[i]!, sizes[i]!))).toBe(true),
    );
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});
