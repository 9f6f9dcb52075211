// A payload transferred while the stream is still writing it: the kernel took part of it, and
// libuv writes the rest later from memory the caller gave away. That call fails with
// UMD_INVALID_ARGUMENT, the channel closes and the child is killed, since it may hold other
// host memory in the payload's place (issue 11).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FramedChannel, RawChannel } from '../src/index.js';
import { fixture, reapAfterEach, spawnHandler } from './helpers/handlers.js';

reapAfterEach();

const MiB = 1 << 20;

function transfer(view: Uint8Array): void {
  structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
}

/** Fills fresh memory, which may be where the transferred payload was: what libuv reads then. */
function reuseMemory(size: number): Uint8Array[] {
  return Array.from({ length: 8 }, () => new Uint8Array(size).fill(0x5a));
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('a payload transferred while the stream writes it', () => {
  it('framed: that call fails, the others get a reply or a typed error, the child is killed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'umd-transfer-'));
    try {
      const handler = spawnHandler(fixture('wait-for-file.mjs'), 'framed');
      const channel = FramedChannel.fromChild(handler.child, { maxInFlight: 4 });
      await channel.waitForHello();
      // The handler blocks without reading its stdin until <dir>/go exists.
      const blocked = settled(channel.request(new TextEncoder().encode(`wait ${join(dir, 'go')}`)));
      await sleep(50);
      const payload = new Uint8Array(4 * MiB).fill(0x41);
      const gone = settled(channel.request(payload));
      await sleep(50);
      // Part of the frame is in the socket, the rest with libuv, which has not written it yet.
      expect(channel.bufferedBytes).toBeGreaterThan(0);
      transfer(payload);
      const reused = reuseMemory(4 * MiB);
      await writeFile(join(dir, 'go'), '');
      expect(await gone).toMatchObject({ error: { code: 'UMD_INVALID_ARGUMENT' } });
      const first = await blocked;
      if ('error' in first) expect(first.error).toMatchObject({ code: 'UMD_CLOSED' });
      expect(channel.closeReason).toMatchObject({ code: 'UMD_CLOSED' });
      expect(await handler.exited).toEqual({ code: null, signal: 'SIGKILL' });
      expect(reused).toHaveLength(8);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('raw: that exchange fails and the child is killed', async () => {
    const size = 8 * MiB;
    const handler = spawnHandler(fixture('echo.mjs'), 'raw', { ECHO_REQUEST_SIZE: String(size) });
    const channel = RawChannel.fromChild(handler.child);
    const request = new Uint8Array(size).fill(0x41);
    const gone = settled(channel.exchange(request, size));
    await Promise.resolve(); // the writer hands the request to the stream in a microtask
    expect(channel.bufferedBytes).toBeGreaterThan(0); // the kernel did not take it whole
    transfer(request);
    expect(await gone).toMatchObject({ error: { code: 'UMD_INVALID_ARGUMENT' } });
    expect(channel.closeReason).toMatchObject({ code: 'UMD_CLOSED' });
    expect(await handler.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
