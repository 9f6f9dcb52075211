import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FramedChannel, openStdioSockets, type StdioSockets } from '../src/index.js';
import { fixture, reapHandlers, spawnHandler } from './helpers/handlers.js';

// What is particular to the stdio sockets; their exchanges are in reply-socket.test.ts, beside
// the reply socket's.

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

describe('stdio sockets', () => {
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

  it('fromChild refuses stdioSockets together with a replySocket', async () => {
    const sockets = opened();
    const [stdin, stdout] = sockets.handlerFds;
    const handler = spawnHandler(fixture('echo.mjs'), 'framed', {}, stdout, stdin);
    const replySocket = { release() {}, hostEnd: sockets.replies, handlerEnd: sockets.replies };
    expect(() =>
      FramedChannel.fromChild(handler.child, {
        stdioSockets: sockets,
        replySocket: replySocket as never,
      }),
    ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
    sockets.destroy();
    expect(await reapHandlers()).toEqual([]);
  });
});
