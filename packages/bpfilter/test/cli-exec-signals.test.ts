/**
 * `bpfilter exec` stopped by a signal (an init system, a terminal closing, Ctrl-C from a
 * script): the command it runs must not be left running without its service, nor the
 * service's socket directory left behind.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from './helpers.js';
import { CLI, PRELOAD } from './iptables/namespace.js';

const missing = existsSync(PRELOAD) ? undefined : `the preload library ${PRELOAD} was not built`;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== undefined)(
  `bpfilter exec stopped by a signal${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it.each(['SIGTERM', 'SIGHUP', 'SIGINT'] as const)(
      '%s: passed on to the command, exec ends as it did, nothing is left',
      { timeout: 30_000 },
      async (signal) => {
        const tmp = mkdtempSync(join(tmpdir(), 'bpfilter-exec-sig-'));
        dirs.push(tmp);
        const exec = spawn(
          process.execPath,
          [CLI, 'exec', '--', 'sh', '-c', 'echo $$; exec sleep 30'],
          { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const [line] = (await once(exec.stdout!, 'data')) as [Buffer];
        const command = Number(line.toString().trim());
        expect(isAlive(command)).toBe(true);
        const exited = once(exec, 'exit');
        exec.kill(signal);
        const [code] = (await exited) as [number | null];
        expect(code).toBe(128 + constants.signals[signal]); // the command ended by it
        expect(isAlive(command)).toBe(false);
        expect(readdirSync(tmp)).toEqual([]);
      },
    );

    it('a command killed by any signal: exec exits 128 + its number, as a shell does', async () => {
      const exec = spawn(process.execPath, [CLI, 'exec', '--', 'sh', '-c', 'kill -USR1 $$'], {
        stdio: 'ignore',
      });
      const [code] = (await once(exec, 'exit')) as [number | null];
      expect(code).toBe(128 + constants.signals.SIGUSR1);
    });
  },
);
