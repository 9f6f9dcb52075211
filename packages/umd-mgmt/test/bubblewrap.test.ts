import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectClosedStdoutSeenAtOnce } from './helpers/closed-stdout.js';
import { fixtureLoader, managed, str, text } from './helpers/fixtures.js';
import { descendantsOf } from './helpers/process-table.js';

const bwrap = ['/usr/bin/bwrap', '/bin/bwrap'].some((path) => existsSync(path));
const HOST = fileURLToPath(new URL('./fixtures/bubblewrap-host.mjs', import.meta.url));
const needed = process.env.CI === 'true';

/** The handler itself: the one process below the manager's that has no child (bwrap runs an init above it). */
function handlerPid(m: ReturnType<typeof managed>): number {
  const tree = descendantsOf(m.pid!).filter((p) => p.state !== 'Z');
  const leaves = tree.filter((p) => !tree.some((q) => q.ppid === p.pid));
  expect(leaves, 'one handler below the sandbox').toHaveLength(1);
  return leaves[0]!.pid;
}

describe.runIf(bwrap || needed)('sandbox.bubblewrap (an OS sandbox)', () => {
  it('a JS handler: no network, nothing writable outside its private directory, a private /tmp', async () => {
    const server: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), 'umd-bwrap-'));
    await chmod(dir, 0o777); // writable by anyone outside the sandbox (the handler runs as nobody)
    await writeFile(join(dir, 'host-file'), 'x');
    try {
      // The same handler outside the sandbox reaches the port and writes the directory...
      const open = managed({ loader: fixtureLoader('echo'), sandbox: { permission: false } });
      expect(str(await open.request(text(`connect:${port}`)))).toBe('connected');
      expect(str(await open.request(text(`write:${dir}/outside`)))).toBe('ok');
      expect(str(await open.request(text(`ls:${dir}`)))).toContain('host-file');
      // ...inside it cannot.
      const m = managed({
        loader: fixtureLoader('echo'),
        sandbox: { permission: false, bubblewrap: true },
      });
      expect(str(await m.request(text(`connect:${port}`)))).toMatch(/^E(CONNREFUSED|NETUNREACH)$/);
      expect(str(await m.request(text(`write:${dir}/inside`)))).toMatch(/^E(ROFS|NOENT|ACCES)$/);
      expect(str(await m.request(text('write:/var/tmp/umd-bwrap-probe')))).toMatch(
        /^E(ROFS|ACCES)$/,
      );
      expect(existsSync(join(dir, 'inside'))).toBe(false);
      // Its /tmp is its own: the host's directory there is not visible, a file it writes is not the host's.
      expect(str(await m.request(text('ls:/tmp')))).not.toContain('umd-bwrap-');
      expect(m.stats().containment).toBe('pid-namespace');
      const pid = handlerPid(m);
      expect(readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^CapEff:\s+0+$/m);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('where bwrap is missing or cannot make a sandbox, the start fails with UMD_START_FAILED saying which', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'umd-bwrap-'));
    // A bwrap that fails as one does without privileges or user namespaces.
    const failing = join(dir, 'bwrap');
    await writeFile(
      failing,
      '#!/bin/sh\necho "bwrap: No permissions to creating new namespace" >&2\nexit 1\n',
    );
    await chmod(failing, 0o755);
    try {
      for (const [over, expected] of [
        ['/dev/null', /needs bubblewrap \(bwrap\), which is not installed/],
        [failing, /cannot make a sandbox .*No permissions to creating new namespace/],
      ] as const) {
        // A host of its own, in a mount namespace where /usr/bin/bwrap is replaced.
        const out = execFileSync(
          'unshare',
          [
            ...['-m', '--propagation', 'private', 'sh', '-c'],
            'mount --bind "$0" /usr/bin/bwrap && exec "$1" "$2"',
            ...[over, process.execPath, HOST],
          ],
          { encoding: 'utf8' },
        );
        expect(JSON.parse(out)).toMatchObject({
          code: 'UMD_START_FAILED',
          message: expect.stringMatching(expected),
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a JS handler runs in it when the host's Node lives under /tmp, which the private /tmp hides", async () => {
    const dir = await mkdtemp('/tmp/umd-node-');
    await chmod(dir, 0o755); // as an unpacked Node's directory is, for the handler's uid
    const node = join(dir, 'node');
    await copyFile(process.execPath, node);
    try {
      const out = execFileSync(node, [HOST], { encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual({ ok: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a native handler runs in it, with no capabilities', async () => {
    const m = managed({ loader: fixtureLoader('native-echo'), sandbox: { bubblewrap: true } });
    expect(str(await m.request(text('sandboxed')))).toBe('sandboxed');
    const pid = handlerPid(m);
    expect(readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
    expect(readlinkSync(`/proc/${pid}/ns/mnt`)).not.toBe(readlinkSync('/proc/self/ns/mnt'));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^CapBnd:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    // The namespace ends with the handler.
    await m.stop();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  // Found by trying it: bwrap's monitor and init held the handler's stdin and stdout, so a
  // handler that closed its stdout was seen only at the request's timeout.
  it('a handler that closes its stdout is seen at once: UMD_HANDLER_EXITED, a new handler', async () => {
    const m = managed({
      loader: fixtureLoader('echo'),
      sandbox: { bubblewrap: true },
      requestTimeoutMs: 20_000,
    });
    await m.request(text('ready'));
    await expectClosedStdoutSeenAtOnce(m, () => handlerPid(m));
  });
});
