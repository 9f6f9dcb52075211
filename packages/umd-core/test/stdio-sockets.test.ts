import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FramedChannel, openStdioSockets, type StdioSockets } from '../src/index.js';
import { fixture, reapHandlers, spawnHandler } from './helpers/handlers.js';

/** The built package (its dist, with the native helper). */
const CORE = fileURLToPath(new URL('..', import.meta.url));

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

  it('in a worker thread: release() and destroy() close their descriptors without warnings', () => {
    // Node warns in a worker when fs closes a descriptor fs did not open there.
    const core = JSON.stringify(pathToFileURL(join(CORE, 'dist', 'index.js')).href);
    const worker = `import(${core}).then(({ openStdioSockets }) => {
      const sockets = openStdioSockets('worker');
      sockets.release();
      sockets.destroy();
      console.log(sockets.handlerFds.length);
    });`;
    const host = `new (require('node:worker_threads').Worker)(${JSON.stringify(worker)}, { eval: true });`;
    const run = spawnSync(process.execPath, ['-e', host], { encoding: 'utf8', timeout: 10_000 });
    expect([run.status, run.stdout, run.stderr]).toEqual([0, '2\n', '']);
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

describe('the native helper file', () => {
  it.each([
    ['truncated', (file: Buffer) => file.subarray(0, 3000)],
    // One letter of a message changed: it would load, but it is not the file the build made.
    [
      'altered',
      (file: Buffer) =>
        Buffer.from(file.toString('latin1').replace('errno %d', 'errno=%d'), 'latin1'),
    ],
  ])(
    '%s: the host falls back to stdio pipes and says why, instead of crashing in dlopen',
    async (_, damage) => {
      // A copy of the built package whose helper is damaged, used by a host of its own (a truncated
      // shared object kills its loader with SIGBUS).
      const dir = await mkdtemp(join(tmpdir(), 'umd-native-'));
      try {
        const pkg = join(dir, 'node_modules', '@umd', 'core');
        await cp(join(CORE, 'package.json'), join(pkg, 'package.json'));
        await cp(join(CORE, 'dist'), join(pkg, 'dist'), { recursive: true });
        const helper = join(pkg, 'dist', 'native', 'umd_native.node');
        await writeFile(helper, damage(await readFile(helper)));
        const host =
          "import { openStdioSockets } from '@umd/core'; const s = openStdioSockets('x'); s?.destroy(); console.log(s === undefined);";
        const run = spawnSync(process.execPath, ['--input-type=module', '-e', host], {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, NODE_DEBUG: 'umd' },
        });
        expect([run.status, run.signal, run.stdout]).toEqual([0, null, 'true\n']);
        expect(run.stderr).toMatch(/native helper unavailable \(.*digest.*\); stdio pipes/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
