import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { sha256File } from '@umd/build';
import {
  defineLoader,
  ENV_ALLOW_LIST,
  TUNED_ALLOCATOR_ENV,
  type UmdManagerOptions,
} from '../src/index.js';
import {
  fixtureLoader,
  handlerPid,
  handlerTree,
  managed,
  pooled,
  rejection,
  str,
  text,
} from './helpers/fixtures.js';
import { descendantsOf, pollUntil } from './helpers/process-table.js';
import { temporaryDir } from './helpers/temporary-dir.js';

describe('blob integrity', () => {
  // A program that would leave a marker file if it ever ran. The flipped byte is in a comment,
  // so the flipped program still runs fine: only the digest check can stop it.
  async function markerBlob() {
    const dir = await temporaryDir('umd-integrity-');
    await chmod(dir, 0o777); // the marker is written by a handler that runs as nobody on a root host
    const marker = join(dir, 'ran');
    const file = join(dir, 'marker.blob.mjs');
    await writeFile(
      file,
      `// comment: aaaa\nimport { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n`,
    );
    return { file, marker, sha256: await sha256File(file) };
  }
  /** A manager of the marker blob, without the permission model (the marker must be writable). */
  function markerManager(
    blob: { file: string; sha256: string },
    options: Partial<UmdManagerOptions> = {},
  ) {
    const loader = defineLoader({
      name: 'marker',
      mode: 'framed',
      script: blob.file,
      sha256: blob.sha256,
    });
    return managed({ loader, sandbox: { permission: false }, ...options });
  }

  it('a blob with one flipped byte is refused with UMD_BLOB_INTEGRITY and never runs', async () => {
    const blob = await markerBlob();
    const bytes = await readFile(blob.file);
    bytes[13]! ^= 0x01; // inside the comment
    await writeFile(blob.file, bytes);
    const m = markerManager(blob);
    const starts: unknown[] = [];
    m.on('start', (e) => starts.push(e));
    const error = await rejection(m.request(text('x')));
    expect(error.code).toBe('UMD_BLOB_INTEGRITY');
    expect(starts).toEqual([]);
    expect(descendantsOf(process.pid)).toEqual([]);
    await sleep(200);
    expect(existsSync(blob.marker)).toBe(false);
  });

  it('control: the same blob unmodified does run (so the check above can fail)', async () => {
    const blob = await markerBlob();
    // It writes its marker and exits without HELLO: the start fails, but it ran. Its exit ends
    // the start; the start timeout must not come first (5 s did, on a machine too loaded to start
    // node in time), so it is past the test's own.
    const m = markerManager(blob, { startTimeoutMs: 60_000 });
    expect((await rejection(m.request(text('x')))).code).toBe('UMD_START_FAILED');
    expect(readFileSync(blob.marker, 'utf8')).toBe('ran');
  });

  it('a blob path that is a FIFO fails the start at once, with the event loop free', async () => {
    const dir = await temporaryDir('umd-fifo-blob-');
    const fifo = join(dir, 'echo.blob.mjs');
    execFileSync('mkfifo', [fifo]);
    const m = managed({
      loader: defineLoader({ name: 'fifo', mode: 'framed', script: fifo, sha256: 'a'.repeat(64) }),
    });
    // A synchronous read would block here forever (no timer fires, the test's own included); an
    // open waiting for a writer off the event loop would end in the start timeout, UMD_TIMEOUT.
    const error = await rejection(m.request(text('x')));
    expect(error.code).toBe('UMD_START_FAILED');
    expect(String(error.message)).toMatch(/FIFO/);
    expect(m.state).toBe('failed');
    expect(descendantsOf(process.pid)).toEqual([]);
  });

  it('a native blob is checked the same way', async () => {
    const loader = fixtureLoader('native-echo', { sha256: '0'.repeat(64) });
    const m = managed({ loader });
    expect((await rejection(m.request(text('x')))).code).toBe('UMD_BLOB_INTEGRITY');
  });
});

describe('clean environment', () => {
  it("the handler sees only allow-listed host variables, UMD_PROTOCOL, the manager's allocator settings and the env option", async () => {
    const saved = { ...process.env };
    process.env.NODE_OPTIONS = '--max-old-space-size=123';
    process.env.UMD_TEST_SECRET = 'do not leak';
    // The host's own allocator variables must not leak either: the handler gets the manager's values.
    process.env.MALLOC_TOP_PAD_ = '12345';
    process.env.MALLOC_ARENA_MAX = '1';
    process.env.NODE_EXTRA_CA_CERTS =
      process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';
    try {
      const m = managed({ loader: fixtureLoader('echo'), env: { FIXTURE_EXTRA: 'yes' } });
      const env = JSON.parse(str(await m.request(text('env:')))) as Record<string, string>;
      const allowed = new Set([
        ...ENV_ALLOW_LIST,
        ...Object.keys(TUNED_ALLOCATOR_ENV),
        'UMD_PROTOCOL',
        'FIXTURE_EXTRA',
      ]);
      expect(Object.keys(env).filter((key) => !allowed.has(key))).toEqual([]);
      expect(env.UMD_PROTOCOL).toBe('framed');
      expect(env.FIXTURE_EXTRA).toBe('yes');
      expect(env.PATH).toBe(process.env.PATH);
      expect(env.NODE_OPTIONS).toBeUndefined();
      expect(env.NODE_EXTRA_CA_CERTS).toBeUndefined();
      expect(env.MALLOC_ARENA_MAX).toBeUndefined();
      expect(env.MALLOC_TOP_PAD_).toBe(TUNED_ALLOCATOR_ENV.MALLOC_TOP_PAD_);
    } finally {
      process.env = saved;
    }
  });

  it('refuses NODE_OPTIONS in the env option (it could lift the sandbox)', async () => {
    const m = managed({
      loader: fixtureLoader('echo'),
      env: { NODE_OPTIONS: '--allow-fs-write=*' },
    });
    expect((await rejection(m.request(text('x')))).code).toBe('UMD_INVALID_ARGUMENT');
  });
});

describe('permission model (JS handlers)', () => {
  it('by default a JS handler cannot write a file or spawn a process', async () => {
    const target = join(await temporaryDir('umd-perm-'), 'written');
    const m = managed({ loader: fixtureLoader('echo') });
    expect(str(await m.request(text(`write:${target}`)))).toBe('ERR_ACCESS_DENIED');
    expect(str(await m.request(text('spawn:')))).toBe('ERR_ACCESS_DENIED');
    expect(existsSync(target)).toBe(false);
    expect(descendantsOf(process.pid).map((p) => p.pid)).toEqual(handlerTree(m));
    const execArgv = JSON.parse(str(await m.request(text('argv:')))) as string[];
    expect(execArgv.some((a) => /^--(experimental-)?permission$/.test(a))).toBe(true);
    expect(execArgv.filter((a) => a.startsWith('--allow-'))).toEqual([
      expect.stringMatching(/^--allow-fs-read=.*echo\.blob\.[cm]js$/),
    ]);
  });

  it('control: with sandbox.permission = false the same handler can write and spawn', async () => {
    const dir = await temporaryDir('umd-perm-');
    await chmod(dir, 0o777); // a root host's handler runs as nobody: only the permission model may stop it
    const target = join(dir, 'written');
    const m = managed({ loader: fixtureLoader('echo'), sandbox: { permission: false } });
    expect(str(await m.request(text(`write:${target}`)))).toBe('ok');
    expect(str(await m.request(text('spawn:')))).toBe('ok');
    expect(readFileSync(target, 'utf8')).toBe('written by a handler');
  });

  it('caps the JS heap with maxOldSpaceSizeMb', async () => {
    const m = managed({ loader: fixtureLoader('echo'), sandbox: { maxOldSpaceSizeMb: 48 } });
    expect(JSON.parse(str(await m.request(text('argv:'))))).toContain('--max-old-space-size=48');
  });

  describe('garbage collector threads and young generation', () => {
    const GC_FLAG = '--single-threaded-gc';
    const YOUNG_FLAG = '--min-semi-space-size=8';
    const gcFlags = (argv: string[]) =>
      argv.filter((a) => /^--(single-threaded-gc|min-semi)/.test(a));
    // One request per instance, sent at once: least-loaded dispatch gives each instance one.
    async function poolArgv(options: Parameters<typeof pooled>[0]): Promise<string[][]> {
      const pool = pooled(options);
      await pool.start();
      const replies = await Promise.all(
        Array.from({ length: pool.size }, () => pool.request(text('argv:'))),
      );
      expect(pool.stats().instances.map((s) => s.replies)).toEqual(Array(pool.size).fill(1));
      return replies.map((reply) => JSON.parse(str(reply)) as string[]);
    }

    it("a pool of 'auto' instances runs every handler with single-threaded GC and 8 MiB semi-spaces", async () => {
      const argvs = await poolArgv({ loader: fixtureLoader('echo'), instances: 'auto' });
      expect(argvs).toHaveLength(availableParallelism());
      for (const argv of argvs) expect(gcFlags(argv)).toEqual([GC_FLAG, YOUNG_FLAG]);
    });

    it('the sandbox options say otherwise, in a pool too', async () => {
      const sandbox = { singleThreadedGc: false, minSemiSpaceSizeMb: 0 };
      const argvs = await poolArgv({ loader: fixtureLoader('echo'), instances: 'auto', sandbox });
      for (const argv of argvs) expect(gcFlags(argv)).toEqual([]);
      const young = { minSemiSpaceSizeMb: 2 };
      const youngArgvs = await poolArgv({
        loader: fixtureLoader('echo'),
        instances: 'auto',
        sandbox: young,
      });
      for (const argv of youngArgvs)
        expect(gcFlags(argv)).toEqual([GC_FLAG, '--min-semi-space-size=2']);
    });

    it.runIf(availableParallelism() > 1)(
      'a pool with fewer instances than cores, and a manager, keep them by default',
      async () => {
        const instances = availableParallelism() - 1;
        for (const argv of await poolArgv({ loader: fixtureLoader('echo'), instances }))
          expect(gcFlags(argv)).toEqual([]);
        const m = managed({ loader: fixtureLoader('echo') });
        const argv = JSON.parse(str(await m.request(text('argv:')))) as string[];
        expect(gcFlags(argv)).toEqual([]);
      },
    );

    it('a manager asked for them runs its handler so; bad values are refused', async () => {
      const sandbox = { singleThreadedGc: true, minSemiSpaceSizeMb: 8 };
      const m = managed({ loader: fixtureLoader('echo'), sandbox });
      const argv = JSON.parse(str(await m.request(text('argv:')))) as string[];
      expect(gcFlags(argv)).toEqual([GC_FLAG, YOUNG_FLAG]);
      for (const bad of [
        { singleThreadedGc: 'yes' as unknown as boolean },
        { minSemiSpaceSizeMb: -1 },
        { minSemiSpaceSizeMb: 1.5 },
        { minSemiSpaceSizeMb: 1025 },
      ]) {
        expect(() => managed({ loader: fixtureLoader('echo'), sandbox: bad })).toThrow(
          expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }),
        );
      }
    });
  });

  it.runIf(process.getuid?.() === 0)(
    'runs the handler under another uid/gid when the host is root',
    async () => {
      const m = managed({ loader: fixtureLoader('echo'), sandbox: { uid: 65534, gid: 65534 } });
      await m.request(text('x'));
      const status = readFileSync(`/proc/${handlerPid(m)}/status`, 'utf8');
      expect(status).toMatch(/^Uid:\s+65534\s+65534/m);
      expect(status).toMatch(/^Gid:\s+65534\s+65534/m);
      expect(status).toMatch(/^Groups:\s*$/m);
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(status).toMatch(/^CapEff:\s+0+$/m);
    },
  );

  it('removes the private blob copy once the handler has started', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const execArgv = JSON.parse(str(await m.request(text('argv:')))) as string[];
    const copy = execArgv
      .find((a) => a.startsWith('--allow-fs-read='))!
      .slice('--allow-fs-read='.length);
    expect(copy).toMatch(/umd-echo-/);
    // Removal starts at HELLO, off the request path.
    expect(await pollUntil(() => !existsSync(copy)), `${copy} is left`).toBe(true);
  });
});
