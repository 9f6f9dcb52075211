import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256File } from '@umd/build';
import { sameBytes } from '@umd/core/testing';
import { defineLoader, TUNED_ALLOCATOR_ENV, tunedNodeFlags } from '../src/index.js';
import { fixtureLoader, handlerPid, managed, rejection, str, text } from './helpers/fixtures.js';
import { pollUntil } from './helpers/process-table.js';
import { temporaryDir } from './helpers/temporary-dir.js';

/**
 * What the handler's fd 1 is: `reply-socket` when it is the accepted end of `openReplySocket()`'s
 * listen + connect (Linux names an accepted AF_UNIX socket after its listener, so /proc/net/unix
 * shows the `reply-N.sock` path, even though it was unlinked), `socketpair` for Node's stdio pipe
 * (an unnamed AF_UNIX socketpair), anything else as is.
 */
function stdoutKind(pid: number): string {
  const link = readlinkSync(`/proc/${pid}/fd/1`);
  const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
  if (inode === undefined) return link;
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[6] === inode)
      return /\/reply-\d+\.sock$/.test(fields[7] ?? '')
        ? 'reply-socket'
        : fields[7] === undefined
          ? 'socketpair'
          : fields[7];
  }
  return `unknown ${link}`;
}

/** The environment of a running process, from /proc (the native fixture cannot print its own). */
function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

const pattern = (size: number) =>
  Uint8Array.from({ length: size }, (_, i) => (i * 31 + (i >> 11)) & 0xff);

const viaReplySocket = { transport: { replySocket: true } };

describe('transport: stdio pipe or reply socket', () => {
  for (const { what, options, kind } of [
    {
      what: "by default a JS handler's fd 1 is Node's stdio pipe (a socketpair)",
      options: {},
      kind: 'socketpair',
    },
    {
      what: 'transport.replySocket = true gives the handler a reply socket instead',
      options: viaReplySocket,
      kind: 'reply-socket',
    },
  ])
    it(`${what}; large replies arrive intact`, async () => {
      const m = managed({ loader: fixtureLoader('echo'), ...options });
      await m.request(text('x'));
      expect(stdoutKind(handlerPid(m))).toBe(kind);
      for (const size of [64 * 1024 + 1, 1 << 20, 16 << 20]) {
        const payload = pattern(size);
        expect(sameBytes(await m.request(payload), payload), `echo of ${size} bytes`).toBe(true);
      }
    });

  it('a native (C) handler writes its replies to the reply socket too, and recovers from SIGKILL', async () => {
    const m = managed({ loader: fixtureLoader('native-echo'), ...viaReplySocket });
    const payload = pattern(1 << 20); // the fixture's maximum
    expect(sameBytes(await m.request(payload), payload)).toBe(true);
    const first = m.pid!;
    expect(stdoutKind(handlerPid(m))).toBe('reply-socket');
    process.kill(first, 'SIGKILL');
    expect((await rejection(new Promise((_, reject) => m.once('error', reject)))).code).toBe(
      'UMD_HANDLER_EXITED',
    );
    expect(str(await m.request(text('again')))).toBe('again');
    expect(m.pid).not.toBe(first);
    expect(stdoutKind(handlerPid(m))).toBe('reply-socket');
  });

  it('a raw handler works over the reply socket, and over the pipe with the opt-out', async () => {
    for (const replySocket of [true, false]) {
      const m = managed({ loader: fixtureLoader('raw'), transport: { replySocket } });
      const reply = await m.requestRaw(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 16);
      expect([...reply.subarray(0, 8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
      expect(stdoutKind(handlerPid(m))).toBe(replySocket ? 'reply-socket' : 'socketpair');
    }
  });

  it('replyInto: replies land in the caller buffer, on the first (starting) request and later ones, both modes', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const into = new Uint8Array(1 << 20);
    for (const size of [1 << 20, 100, 70 * 1024]) {
      const payload = pattern(size);
      const reply = await m.request(payload, { replyInto: into });
      expect(
        reply.buffer === into.buffer && reply.byteLength === size,
        `${size} bytes in the caller buffer`,
      ).toBe(true);
      expect(sameBytes(reply, payload)).toBe(true);
    }
    const raw = managed({ loader: fixtureLoader('raw') });
    const rawInto = new Uint8Array(16);
    for (let round = 0; round < 2; round++) {
      const reply = await raw.requestRaw(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, round), 16, {
        replyInto: rawInto,
      });
      expect(reply.buffer).toBe(rawInto.buffer);
      expect([...rawInto.subarray(0, 8)]).toEqual([round, 7, 6, 5, 4, 3, 2, 1]);
    }
    expect(
      (
        await rejection(
          raw.requestRaw(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 16, {
            replyInto: new Uint8Array(8),
          }),
        )
      ).code,
    ).toBe('UMD_INVALID_ARGUMENT');
  });

  it('raw: a replyInto the caller transfers mid-call fails that request alone; the handler is not blamed', async () => {
    const raw = managed({ loader: fixtureLoader('raw') });
    const starts: number[] = [];
    raw.on('start', ({ pid }) => starts.push(pid));
    const request = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    await raw.requestRaw(request, 16); // a ready handler: the next call goes out at once
    const into = new Uint8Array(16);
    const lost = raw.requestRaw(request, 16, { replyInto: into });
    structuredClone(into.buffer, { transfer: [into.buffer] }); // before its reply comes
    expect((await rejection(lost)).code).toBe('UMD_INVALID_ARGUMENT');
    // The same handler answers the next one in step: no fault, no restart.
    const reply = await raw.requestRaw(request, 16);
    expect([...reply.subarray(8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(starts).toHaveLength(1);
  });

  describe('leaves nothing behind', () => {
    let saved: string | undefined;
    let privateTmp: string;
    beforeEach(async () => {
      saved = process.env.TMPDIR;
      privateTmp = await temporaryDir('umd-transport-test-');
      await chmod(privateTmp, 0o711); // a root host's handlers run as nobody: they must reach their copy
      process.env.TMPDIR = privateTmp; // where openReplySocket() (and the blob staging) make their directories
    });
    afterEach(() => {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    });

    const socketFds = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
        } catch {
          return false;
        }
      }).length;

    it('removes the socket path once connected, and the private copy after HELLO', async () => {
      const m = managed({ loader: fixtureLoader('echo'), ...viaReplySocket });
      expect(str(await m.request(text('hi')))).toBe('hi');
      expect(
        await pollUntil(() => readdirSync(privateTmp).length === 0),
        `left in TMPDIR: ${readdirSync(privateTmp).join(', ')}`,
      ).toBe(true);
    });

    it.runIf(process.getuid?.() === 0)(
      'a handler that cannot read its copy fails the start, releases both socket ends and removes every directory',
      async () => {
        // The staging parent is root's 0700 directory: the handler's uid cannot reach its copy,
        // so node cannot load it and exits before HELLO.
        const stagingDir = await temporaryDir('staging-', privateTmp);
        const before = socketFds();
        const m = managed({
          loader: fixtureLoader('echo'),
          stagingDir,
          sandbox: { uid: 65534, gid: 65534 },
          ...viaReplySocket,
        });
        const error = await rejection(m.request(text('x')));
        expect(error).toMatchObject({ code: 'UMD_START_FAILED' });
        expect(String(error.stderrTail)).toMatch(/EACCES|permission denied|Cannot find module/i);
        expect(readdirSync(stagingDir)).toEqual([]);
        expect(readdirSync(privateTmp)).toEqual([basename(stagingDir)]);
        expect(
          await pollUntil(() => socketFds() === before),
          `host socket fds: ${before} before, ${socketFds()} after`,
        ).toBe(true);
      },
    );

    it('a handler that dies before HELLO releases both socket ends and leaves no directory', async () => {
      // A native "executable" that is no program: it fails after staging and the socket are done
      // (execvp hands it to /bin/sh, which exits 127 before any HELLO).
      const dir = await temporaryDir('umd-notaprogram-', saved ?? '/tmp');
      const file = join(dir, 'not-a-program');
      await writeFile(file, 'just text, no #! line\n');
      await chmod(file, 0o755);
      const before = socketFds();
      const m = managed({
        loader: defineLoader({
          name: 'broken',
          mode: 'framed',
          executable: file,
          sha256: await sha256File(file),
        }),
        ...viaReplySocket,
      });
      const error = await rejection(m.request(text('x')));
      expect(error.code).toBe('UMD_START_FAILED');
      // The socket path went at connect; the private copy is removed off the failure path.
      expect(readdirSync(privateTmp).filter((name) => !name.startsWith('umd-broken-'))).toEqual([]);
      expect(
        await pollUntil(() => readdirSync(privateTmp).length === 0),
        `left in TMPDIR: ${readdirSync(privateTmp).join(', ')}`,
      ).toBe(true);
      expect(
        await pollUntil(() => socketFds() === before),
        `host socket fds: ${before} before, ${socketFds()} after`,
      ).toBe(true);
    });

    it('a blob integrity failure opens no socket and leaves no directory', async () => {
      const before = socketFds();
      const m = managed({
        loader: fixtureLoader('echo', { sha256: 'f'.repeat(64) }),
        ...viaReplySocket,
      });
      expect((await rejection(m.request(text('x')))).code).toBe('UMD_BLOB_INTEGRITY');
      expect(readdirSync(privateTmp)).toEqual([]);
      expect(await pollUntil(() => socketFds() === before)).toBe(true);
    });
  });
});

describe('transport: allocator tuning', () => {
  const tuned = Object.keys(TUNED_ALLOCATOR_ENV);

  it('by default the handler gets the tuned glibc settings, with the manager values', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const env = JSON.parse(str(await m.request(text('env:')))) as Record<string, string>;
    expect(env).toMatchObject({
      MALLOC_MMAP_THRESHOLD_: '268435456',
      MALLOC_TRIM_THRESHOLD_: '1073741824',
      MALLOC_TOP_PAD_: '67108864',
    });
  });

  it('native handlers get them too', async () => {
    const m = managed({ loader: fixtureLoader('native-echo') });
    await m.start();
    expect(environOf(m.pid!)).toMatchObject(TUNED_ALLOCATOR_ENV);
  });

  it('transport.tuneAllocator = false leaves them out; env overrides single values', async () => {
    const off = managed({ loader: fixtureLoader('echo'), transport: { tuneAllocator: false } });
    const offEnv = JSON.parse(str(await off.request(text('env:')))) as Record<string, string>;
    expect(Object.keys(offEnv).filter((key) => tuned.includes(key))).toEqual([]);
    const overridden = managed({ loader: fixtureLoader('echo'), env: { MALLOC_TOP_PAD_: '0' } });
    const env = JSON.parse(str(await overridden.request(text('env:')))) as Record<string, string>;
    expect(env).toMatchObject({ ...TUNED_ALLOCATOR_ENV, MALLOC_TOP_PAD_: '0' });
  });

  it("a JS handler runs with the running V8's tuning flags; tuneAllocator = false leaves them out", async () => {
    // Each handler reads its own private copy of the blob: its path is not compared.
    const execArgv = async (m: ReturnType<typeof managed>) =>
      (JSON.parse(str(await m.request(text('argv:')))) as string[]).map((arg) =>
        arg.replace(/^--allow-fs-read=.*/, '--allow-fs-read=<copy>'),
      );
    const flags = tunedNodeFlags();
    const tuned = await execArgv(managed({ loader: fixtureLoader('echo') }));
    expect(tuned.slice(0, flags.length)).toEqual([...flags]);
    const off = managed({ loader: fixtureLoader('echo'), transport: { tuneAllocator: false } });
    expect(await execArgv(off)).toEqual(tuned.slice(flags.length));
  });

  it('refuses a transport option of the wrong type', () => {
    expect(() =>
      managed({
        loader: fixtureLoader('echo'),
        transport: { replySocket: 'yes' as unknown as boolean },
      }),
    ).toThrow(/transport/);
  });
});
