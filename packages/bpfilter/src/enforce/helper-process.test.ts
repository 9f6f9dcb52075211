import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HelperProcess, runnableHelper } from './helper-process.js';

const helper = fileURLToPath(new URL('../../dist/native/bpfilter_nft_counters', import.meta.url));
const usable =
  existsSync(helper) &&
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['-n', 'true']).status === 0;
if (!usable && process.env.CI === 'true')
  throw new Error('helper-process tests need root, unshare and the built counter helper');

/** The counter reader serving in a namespace of its own (no table there: status 3). */
const serving = () => new HelperProcess('unshare', ['-n', helper]);
const missing = (name: string) => Buffer.from(`${name}\u0000`);

describe('a built helper as a package manager installs it', () => {
  it('packed without its execute bits (mode 0644), it gets them back and runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfilter-helper-'));
    try {
      const path = join(dir, 'helper');
      copyFileSync('/bin/true', path);
      spawnSync('chmod', ['0644', path]);
      expect(runnableHelper(path)).toBe(path);
      expect(statSync(path).mode & 0o777).toBe(0o755);
      expect(spawnSync(path).status).toBe(0);
      expect(runnableHelper(join(dir, 'absent'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!usable)('a helper kept running', () => {
  it('answers requests in order, one process for all of them', async () => {
    const process = serving();
    try {
      const answers = await Promise.all(['a', 'b', 'c'].map((t) => process.request(missing(t))));
      expect(answers.map((a) => a.code)).toEqual([3, 3, 3]);
      expect(answers[1]!.output).toContain('No such file or directory');
      const pid = process.pid;
      await process.request(missing('d'));
      expect(process.pid).toBe(pid);
    } finally {
      process.close();
    }
  });

  it('killed, it is started again and the requests it owed are answered', async () => {
    const process = serving();
    try {
      await process.request(missing('a'));
      const first = process.pid!;
      const owed = process.request(missing('b'));
      spawnSync('kill', ['-KILL', String(first)]);
      const later = process.request(missing('c'));
      // Killed before or after answering b: every request gets its answer, none hangs.
      expect((await owed).code).toBe(3);
      expect((await later).code).toBe(3);
      spawnSync('kill', ['-KILL', String(process.pid)]);
      expect((await process.request(missing('d'))).code).toBe(3);
      expect(process.pid).not.toBe(first);
    } finally {
      process.close();
    }
  });

  it('an aborted request ends the helper; close is idempotent', async () => {
    const process = serving();
    const controller = new AbortController();
    const pending = process.request(missing('a'), controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    process.close();
    process.close();
    expect(process.pid).toBeUndefined();
    await expect(process.request(missing('b'), AbortSignal.abort())).rejects.toThrow();
    expect((await process.request(missing('c'))).code).toBe(3);
    process.close();
  });
});
