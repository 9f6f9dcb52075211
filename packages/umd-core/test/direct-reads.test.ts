import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { FramedChannel, RawChannel } from '../src/index.js';
import { fixture, pattern, reapAfterEach, sameBytes, spawnHandler } from './helpers/handlers.js';

// fromChild() over a stdio pipe reads replies straight into their buffers (the child's stdout
// socket is switched to Node's `onread` mode): no `data` event is ever emitted. Where that cannot
// be done safely (bytes already buffered), it falls back to `data` events with the same results.
const MiB = 1024 * 1024;

reapAfterEach();

function countDataEvents(stream: NodeJS.ReadableStream): () => number {
  let count = 0;
  stream.on('data', () => count++);
  return () => count;
}

describe('direct reads on a child stdout pipe', () => {
  it('framed: replies from 1 B to 16 MiB arrive without a single data event', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    const channel = FramedChannel.fromChild(handler.child);
    const dataEvents = countDataEvents(handler.child.stdout!);
    for (const size of [1, 64 * 1024 + 1, MiB, 16 * MiB]) {
      const payload = pattern(size, size);
      expect(
        sameBytes(await channel.request(payload, { timeoutMs: 20_000 }), payload),
        `echo of ${size} bytes`,
      ).toBe(true);
    }
    expect(dataEvents()).toBe(0);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('framed: after a large reply, pipelined replies of every size still arrive whole and in order', async () => {
    // After a large reply the channel reads the next header alone: what follows may be one more
    // large reply, several small frames in one read, or an empty one. The handler does the same
    // with requests from 128 KiB on; below that one read may bring several (64 KiB, 128 KiB - 1).
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    const channel = FramedChannel.fromChild(handler.child, { maxInFlight: 12 });
    const dataEvents = countDataEvents(handler.child.stdout!);
    const KiB = 1024;
    const sizes = [MiB, 3, 0, 20 * KiB, MiB + 7, 1, 70 * KiB, 16, 64 * KiB, 64 * KiB];
    sizes.push(128 * KiB - 1, 128 * KiB); // either side of the handler's header-first size
    for (let round = 0; round < 2; round++) {
      const payloads = sizes.map((size, i) => pattern(size, size + i + round));
      const replies = await Promise.all(
        payloads.map((payload) => channel.request(payload, { timeoutMs: 20_000 })),
      );
      replies.forEach((reply, i) =>
        expect(sameBytes(reply, payloads[i]!), `reply ${i}`).toBe(true),
      );
    }
    expect(dataEvents()).toBe(0);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('raw: a 16 MiB reply arrives without a data event', async () => {
    const size = 16 * MiB;
    const handler = spawnHandler(fixture('echo.mjs'), 'raw', { ECHO_REQUEST_SIZE: String(size) });
    const channel = RawChannel.fromChild(handler.child);
    const dataEvents = countDataEvents(handler.child.stdout!);
    expect(sameBytes(await channel.exchange(pattern(size, 3), size), pattern(size, 3))).toBe(true);
    expect(dataEvents()).toBe(0);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('falls back to data events when the stdout already holds bytes (HELLO read before fromChild)', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    const deadline = Date.now() + 10_000;
    while (handler.child.stdout!.readableLength === 0 && Date.now() < deadline) await sleep(20);
    expect(handler.child.stdout!.readableLength).toBeGreaterThan(0);
    const channel = FramedChannel.fromChild(handler.child);
    const dataEvents = countDataEvents(handler.child.stdout!);
    expect((await channel.waitForHello()).name).toBeTruthy();
    expect(
      sameBytes(await channel.request(pattern(MiB), { timeoutMs: 10_000 }), pattern(MiB)),
    ).toBe(true);
    expect(dataEvents()).toBeGreaterThan(0);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 20_000);

  it('a handler that exits mid-reply still ends in UMD_HANDLER_EXITED with its exit code', async () => {
    const handler = spawnHandler(fixture('exit-mid-reply.mjs'), 'framed');
    const channel = FramedChannel.fromChild(handler.child);
    await channel.waitForHello();
    await expect(channel.request(pattern(10), { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: 'UMD_HANDLER_EXITED',
      exitCode: 3,
    });
  }, 20_000);
});
