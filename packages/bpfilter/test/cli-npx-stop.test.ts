/**
 * `npx bpfilter serve` (and `exec`): npm runs the command through `sh -c` and passes a SIGTERM
 * on to that shell alone, which dies of it; the command must stop as if it had the signal
 * instead of running on as an orphan. Here a shell stands in for npm's, with npm's variable.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, pollUntil } from '@umd/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, PRELOAD } from './iptables/namespace.js';

const dirs: string[] = [];
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `bpfilter ARGS` in the background of a shell as npm's runner would (its environment),
 * and SIGTERMs the shell once the command has written `ready` on stderr. Resolves with the
 * command's stderr, whole: it ends when the command has exited (it holds the pipe's one
 * writer), however long that takes on a loaded machine.
 */
async function stopNpmShell(args: string[], ready: string, env: NodeJS.ProcessEnv = {}) {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const shell = spawn('sh', ['-c', `${quoted} & echo $!; wait`], {
    env: { ...process.env, npm_lifecycle_event: 'npx', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = Number((await once(shell.stdout!, 'data')).toString());
  started.push(pid);
  let stderr = '';
  const ended = once(shell.stderr!, 'end');
  await new Promise<void>((resolve) =>
    shell.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
      if (stderr.includes(ready)) resolve();
    }),
  );
  shell.kill('SIGTERM');
  await ended;
  return { pid, stderr };
}

describe('run by npx, stopped by a SIGTERM to npx', () => {
  it("serve: stops cleanly (socket removed, exit logged) when npm's shell dies", {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfilter-npx-'));
    dirs.push(dir);
    const socket = join(dir, 'bpfilter.sock');
    const { pid, stderr } = await stopNpmShell(['serve', '--socket', socket], 'listening');
    expect(stderr).toContain('stopped as the npm process that ran it is gone');
    // Its stderr closes as it exits; the exit itself may lag (a bound that means a hang).
    expect(await pollUntil(() => !isAlive(pid), 30_000)).toBe(true);
    expect(existsSync(socket)).toBe(false);
  });

  it.skipIf(!existsSync(PRELOAD))(
    'exec: the command gets the SIGTERM, nothing is left',
    {
      timeout: 60_000,
    },
    async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'bpfilter-npx-exec-'));
      dirs.push(tmp);
      const script = 'echo started >&2; exec sleep 300';
      const { pid, stderr } = await stopNpmShell(['exec', '--', 'sh', '-c', script], 'started', {
        TMPDIR: tmp,
      });
      expect(stderr).toBe('started\n');
      expect(await pollUntil(() => !isAlive(pid), 30_000)).toBe(true);
      expect(readdirSync(tmp)).toEqual([]);
    },
  );
});
