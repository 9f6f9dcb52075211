import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FramedChannel, RawChannel, openStdioSockets, type StdioSockets } from '../src/index.js';
import { compileC } from './helpers/compile.js';
import { fixture, pattern, reapHandlers, sameBytes, spawnHandler } from './helpers/handlers.js';

// The same exchanges as the reply socket's tests, with the handler's fd 0 and fd 1 the
// socketpairs of the native helper (built with the package: `pnpm build`).
const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [0, 1, 16 * KiB - 1, 16 * KiB, 64 * KiB + 1, 208 * KiB, MiB, 2 * MiB + 1, 16 * MiB];

afterEach(async () => {
  expect(await reapHandlers()).toEqual([]);
});

let echoC: Awaited<ReturnType<typeof compileC>>;
beforeAll(async () => {
  echoC = await compileC(fixture('echo.c'), 'echo-c-stdio-sockets');
});
afterAll(() => echoC?.cleanup());

/** What descriptor `fd` of this process is (`socket:[inode]`), or undefined if it is closed. */
function linkOf(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

function opened(): StdioSockets {
  const sockets = openStdioSockets('test');
  expect(sockets, 'the native helper is built and loads').toBeDefined();
  return sockets!;
}

function startWithSockets(file: string, mode: 'framed' | 'raw', env: Record<string, string> = {}) {
  const sockets = opened();
  const [stdin, stdout] = sockets.handlerFds;
  const handler = spawnHandler(file, mode, env, stdout, stdin);
  expect(handler.child.stdin).toBeNull();
  expect(handler.child.stdout).toBeNull();
  return { handler, sockets };
}

const handlers = [
  { lang: 'JS', file: () => fixture('echo.mjs') },
  { lang: 'C', file: () => echoC.executable },
];

for (const { lang, file } of handlers) {
  describe(`${lang} echo handler over stdio sockets`, () => {
    it('framed mode echoes 0 B to 16 MiB, then exits 0 at end of input', async () => {
      const { handler, sockets } = startWithSockets(file(), 'framed');
      const channel = FramedChannel.fromChild(handler.child, { stdioSockets: sockets });
      await channel.waitForHello({ timeoutMs: 10_000 });
      for (const size of SIZES) {
        const payload = pattern(size, size);
        const reply = await channel.request(payload, { timeoutMs: 20_000 });
        expect(sameBytes(reply, payload), `echo of ${size} bytes`).toBe(true);
      }
      channel.close();
      expect(await handler.exited).toEqual({ code: 0, signal: null });
    }, 60_000);

    it('raw mode echoes 1 B and 16 MiB', async () => {
      for (const size of [1, 16 * MiB]) {
        const { handler, sockets } = startWithSockets(file(), 'raw', {
          ECHO_REQUEST_SIZE: String(size),
        });
        const channel = RawChannel.fromChild(handler.child, { stdioSockets: sockets });
        const payload = pattern(size, size);
        expect(
          sameBytes(await channel.exchange(payload, size, { timeoutMs: 20_000 }), payload),
        ).toBe(true);
        channel.close();
        expect(await handler.exited).toEqual({ code: 0, signal: null });
      }
    }, 60_000);
  });
}

describe('stdio sockets', () => {
  it('a handler that exits mid-reply: UMD_HANDLER_EXITED with its exit code', async () => {
    const { handler, sockets } = startWithSockets(fixture('exit-mid-reply.mjs'), 'framed');
    const channel = FramedChannel.fromChild(handler.child, { stdioSockets: sockets });
    await channel.waitForHello({ timeoutMs: 10_000 });
    await expect(channel.request(pattern(10), { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: 'UMD_HANDLER_EXITED',
      exitCode: 3,
    });
    expect(channel.closed).toBe(true);
  }, 20_000);

  it('no other child inherits them; release() closes the handler ends, destroy() the host ends', async () => {
    const sockets = opened();
    const fdOf = (socket: unknown) => (socket as { _handle: { fd: number } })._handle.fd;
    const fds = [...sockets.handlerFds, fdOf(sockets.requests), fdOf(sockets.replies)];
    const links = fds.map(linkOf);
    expect(links.every((link) => link?.startsWith('socket:'))).toBe(true);
    // Close-on-exec: a child spawned meanwhile sees none of the four.
    const seen = spawnSync('ls', ['/proc/self/fd'], { encoding: 'utf8' }).stdout.split('\n');
    for (const fd of fds) expect(seen).not.toContain(String(fd));
    sockets.release();
    sockets.release();
    const still = () => fds.map((fd, i) => linkOf(fd) === links[i]);
    expect(still()).toEqual([false, false, true, true]);
    sockets.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(still()).toEqual([false, false, false, false]);
  });

  it('fromChild refuses stdioSockets together with a replySocket', () => {
    const { handler, sockets } = startWithSockets(fixture('echo.mjs'), 'framed');
    const replySocket = { release() {}, hostEnd: sockets.replies, handlerEnd: sockets.replies };
    expect(() =>
      FramedChannel.fromChild(handler.child, {
        stdioSockets: sockets,
        replySocket: replySocket as never,
      }),
    ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
    sockets.destroy();
  });
});
