import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inheritableFds } from './inheritable-fds.js';

const linux = process.platform === 'linux';
let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A fake fdinfo directory: descriptor number -> its `flags:` line (octal). */
async function fdinfo(entries: Record<string, string>): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'umd-fdinfo-'));
  for (const [name, body] of Object.entries(entries)) await writeFile(join(dir, name), body);
  return dir;
}

describe('inheritableFds', () => {
  it('lists the descriptors above 2 open without close-on-exec', async () => {
    const procFd = await fdinfo({
      '0': 'pos:\t0\nflags:\t02\n',
      '3': 'pos:\t0\nflags:\t02000002\nmnt_id:\t1\n',
      '4': 'pos:\t0\nflags:\t0100002\n',
      '40': 'pos:\t0\nflags:\t00\n',
    });
    expect(inheritableFds(procFd, 'x64')?.sort((a, b) => a - b)).toEqual([4, 40]);
  });

  it('says it cannot tell for an unknown layout, a strange name or another architecture', async () => {
    expect(inheritableFds(await fdinfo({ '3': 'pos:\t0\n' }), 'x64')).toBeUndefined();
    await rm(dir!, { recursive: true });
    expect(inheritableFds(await fdinfo({ self: 'flags:\t0\n' }), 'x64')).toBeUndefined();
    expect(inheritableFds(dir!, 'sparc64')).toBeUndefined();
    expect(inheritableFds(join(dir!, 'missing'), 'x64')).toBeUndefined();
  });

  it.runIf(linux)('finds the descriptors a real process inherited', async () => {
    // fds 3 and 5 are passed on purpose, so they are open in `sleep` without close-on-exec;
    // so is whatever this process inherited (a test runner may leak some).
    const leaked = inheritableFds() ?? [];
    const child = spawn('sleep', ['30'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'ignore', 'pipe'],
    });
    try {
      await once(child, 'spawn');
      expect(inheritableFds(`/proc/${child.pid}/fdinfo`)?.sort((a, b) => a - b)).toEqual(
        [...new Set([...leaked, 3, 5])].sort((a, b) => a - b),
      );
    } finally {
      child.kill('SIGKILL');
    }
  });
});
