import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
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

/**
 * Resolves once `sleep` (pid) sleeps, its start over. 'spawn' only says the exec succeeded: while
 * the program starts it holds files of its own for a moment at the lowest free number (4 here,
 * the 'ignore' slot between the pipes), some without close-on-exec (glibc 2.36's setlocale opens
 * gconv-modules.cache so), which would read as inherited. `/proc/PID/wchan` names the kernel
 * function a process blocks in: one with nanosleep in its name (`hrtimer_nanosleep`) once it sleeps.
 */
async function started(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const wchan = readFileSync(`/proc/${pid}/wchan`, 'latin1');
    if (wchan.includes('nanosleep')) return;
    if (Date.now() > deadline) throw new Error(`sleep (pid ${pid}) never slept: wchan ${wchan}`);
    await delay(2);
  }
}

/** What each of a process's descriptors is, for a failure's message. */
function describeFds(pid: number, fds: readonly number[]): string {
  return fds
    .map((fd) => {
      try {
        return `${fd}: ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`;
      } catch (error) {
        return `${fd}: ${(error as NodeJS.ErrnoException).code}`;
      }
    })
    .join(', ');
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
      await started(child.pid!);
      const inherited = inheritableFds(`/proc/${child.pid}/fdinfo`)?.sort((a, b) => a - b);
      expect(inherited, describeFds(child.pid!, inherited ?? [])).toEqual(
        [...new Set([...leaked, 3, 5])].sort((a, b) => a - b),
      );
    } finally {
      child.kill('SIGKILL');
    }
  });
});
