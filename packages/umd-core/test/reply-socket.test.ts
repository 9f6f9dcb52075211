import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  type ChildChannelOptions,
  FramedChannel,
  RawChannel,
  openReplySocket,
  openStdioSockets,
} from '../src/index.js';
import {
  echoHandlers,
  expectEchoes,
  expectPipelinedEchoes,
  fixture,
  pattern,
  reapAfterEach,
  sameBytes,
  spawnHandler,
  spawnWithReplySocket,
} from './helpers/handlers.js';
import { KiB, MiB } from './helpers/sizes.js';

// The same exchanges as echo.test.ts and faults.test.ts, with the handler's stdout made by the
// host itself and read straight into reply buffers: a reply socket as its fd 1, or stdio sockets
// (the native helper's socketpairs, built with the package) as its fd 0 and fd 1.
const SIZES = [0, 1, 64, 16 * KiB - 1, 16 * KiB, 64 * KiB, 64 * KiB + 1, MiB, 16 * MiB, 64 * MiB];

reapAfterEach();

/** Starts `file` over stdio sockets; `via` is what `fromChild()` is given. */
function startWithStdioSockets(
  file: string,
  mode: 'framed' | 'raw',
  env: Record<string, string> = {},
) {
  const stdioSockets = openStdioSockets('test');
  expect(stdioSockets, 'the native helper is built and loads').toBeDefined();
  const [stdin, stdout] = stdioSockets!.handlerFds;
  const handler = spawnHandler(file, mode, env, stdout, stdin);
  expect(handler.child.stdin).toBeNull();
  expect(handler.child.stdout).toBeNull();
  return { handler, via: { stdioSockets } as ChildChannelOptions };
}

const transports = [
  {
    name: 'a reply socket',
    sizes: SIZES,
    start: async (file: string, mode: 'framed' | 'raw', env: Record<string, string> = {}) => {
      const { handler, replySocket } = await spawnWithReplySocket(file, mode, env);
      return { handler, via: { replySocket } as ChildChannelOptions };
    },
  },
  {
    name: 'stdio sockets',
    // Up to 2 MiB and one step beyond: past that only the socket buffer's steps repeat (and CI time adds up).
    sizes: SIZES.filter((size) => size <= MiB).concat(2 * MiB + 1, 4 * MiB),
    start: async (...args: Parameters<typeof startWithStdioSockets>) =>
      startWithStdioSockets(...args),
  },
];

const handlers = echoHandlers('echo-c-socket');

for (const { name, sizes: echoSizes, start } of transports)
  for (const { lang, file } of handlers) {
    describe(`${lang} echo handler over ${name}`, () => {
      it(`framed mode echoes 0 B to ${echoSizes.at(-1)! / MiB} MiB, then exits 0 at end of input`, async () => {
        const { handler, via } = await start(file(), 'framed');
        const channel = FramedChannel.fromChild(handler.child, via);
        await channel.waitForHello();
        await expectEchoes(channel, echoSizes);
        channel.close();
        expect(await handler.exited).toEqual({ code: 0, signal: null });
      }, 60_000);

      it('pipelines 300 requests of mixed sizes with maxInFlight 16', async () => {
        const { handler, via } = await start(file(), 'framed');
        const channel = FramedChannel.fromChild(handler.child, { maxInFlight: 16, ...via });
        await expectPipelinedEchoes(channel, [
          0,
          1,
          64,
          4 * KiB,
          20 * KiB,
          64 * KiB + 1,
          300 * KiB,
        ]);
        channel.close();
        expect(await handler.exited).toEqual({ code: 0, signal: null });
      }, 60_000);

      it('raw mode echoes 1 B, 128 KiB and 16 MiB', async () => {
        for (const size of [1, 128 * KiB, 16 * MiB]) {
          const { handler, via } = await start(file(), 'raw', {
            ECHO_REQUEST_SIZE: String(size),
          });
          const channel = RawChannel.fromChild(handler.child, via);
          for (let round = 0; round < 2; round++) {
            const payload = pattern(size, size + round);
            expect(
              sameBytes(await channel.exchange(payload, size), payload),
              `raw echo of ${size} bytes`,
            ).toBe(true);
          }
          channel.close();
          expect(await handler.exited).toEqual({ code: 0, signal: null });
        }
      }, 60_000);
    });
  }

describe('reply socket', () => {
  it('keeps what the handler sent before the channel was attached (HELLO)', async () => {
    const { handler, replySocket } = await spawnWithReplySocket(fixture('echo.mjs'), 'framed');
    await sleep(500); // the HELLO is read into the socket's own buffer meanwhile
    const channel = FramedChannel.fromChild(handler.child, { replySocket });
    expect((await channel.waitForHello()).name).toBeTruthy();
    expect(
      sameBytes(
        await channel.request(pattern(100 * KiB), { timeoutMs: 10_000 }),
        pattern(100 * KiB),
      ),
    ).toBe(true);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 20_000);

  it.each(transports)(
    'a handler that exits mid-reply over $name: UMD_HANDLER_EXITED with its exit code',
    async ({ start }) => {
      const { handler, via } = await start(fixture('exit-mid-reply.mjs'), 'framed');
      const channel = FramedChannel.fromChild(handler.child, via);
      await channel.waitForHello();
      await expect(channel.request(pattern(10), { timeoutMs: 10_000 })).rejects.toMatchObject({
        code: 'UMD_HANDLER_EXITED',
        exitCode: 3,
      });
      expect(channel.closed).toBe(true);
    },
    20_000,
  );

  it('raw mode: a reply cut short: UMD_SHORT_READ with the exit code', async () => {
    const { handler, replySocket } = await spawnWithReplySocket(fixture('short-raw.mjs'), 'raw');
    const channel = RawChannel.fromChild(handler.child, { replySocket });
    await expect(channel.exchange(pattern(8), 128 * KiB)).rejects.toMatchObject({
      code: 'UMD_SHORT_READ',
      exitCode: 4,
    });
  }, 20_000);

  it('raw mode: more bytes than asked for close the channel with UMD_PROTOCOL and kill the handler', async () => {
    const { handler, replySocket } = await spawnWithReplySocket(fixture('echo.mjs'), 'raw', {
      ECHO_REQUEST_SIZE: String(64 * KiB),
    });
    const channel = RawChannel.fromChild(handler.child, { replySocket });
    // The echo answers 64 KiB; asking for 32 KiB leaves 32 KiB nobody asked for.
    const closed = new Promise((resolve) => channel.once('close', resolve));
    await channel.exchange(pattern(64 * KiB), 32 * KiB).catch(() => {});
    await closed;
    expect(channel.closeReason?.code).toBe('UMD_PROTOCOL');
    expect((await handler.exited).signal).toBe('SIGKILL');
  }, 20_000);
});

describe('reply socket, unusual order', () => {
  it('a channel over a reply socket destroyed before it was attached fails its requests at once', async () => {
    const replySocket = await openReplySocket();
    replySocket.release();
    replySocket.hostEnd.destroy(new Error('gone'));
    await sleep(50);
    const channel = new FramedChannel(
      replySocket.hostEnd,
      new (await import('node:stream')).PassThrough(),
    );
    await expect(channel.waitForHello({ timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'UMD_CLOSED',
    });
  });
});

describe('openReplySocket() with a signal', () => {
  const openFds = () => readdirSync('/proc/self/fd').length;

  it('aborted before the call: UMD_ABORTED, nothing made in the private directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'umd-reply-test-'));
    try {
      const aborted = AbortSignal.abort();
      await expect(
        openReplySocket({ privateDirectory: dir, signal: aborted }),
      ).rejects.toMatchObject({ code: 'UMD_ABORTED' });
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('aborted while it opens, at each step: typed, and no descriptor or path left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'umd-reply-test-'));
    try {
      const before = openFds();
      // Aborted in the same tick, after the listen, after the connect: wherever the abort lands,
      // the call ends typed (or opens, if it was done first) and leaves nothing open when given up.
      for (const wait of [undefined, 0, 1, 2, 5]) {
        const controller = new AbortController();
        const opening = openReplySocket({ privateDirectory: dir, signal: controller.signal });
        if (wait !== undefined) await sleep(wait);
        controller.abort();
        const outcome = await opening.then(
          (socket) => socket,
          (error: { code?: string }) => String(error.code),
        );
        if (typeof outcome === 'string') expect(outcome).toBe('UMD_ABORTED');
        else {
          outcome.release();
          outcome.hostEnd.destroy();
        }
      }
      await sleep(50);
      expect(openFds()).toBe(before);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a timeout's reason is UMD_TIMEOUT; a signal that is none is UMD_INVALID_ARGUMENT", async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('too slow', 'TimeoutError'));
    await expect(openReplySocket({ signal: controller.signal })).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
    });
    await expect(openReplySocket({ signal: 5 as unknown as AbortSignal })).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
    });
  });
});
