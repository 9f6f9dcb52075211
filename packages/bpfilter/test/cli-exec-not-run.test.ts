/**
 * `bpfilter exec` of a command it cannot run ends as a shell, `env`, `nice` or `timeout` does:
 * 127 for a command not found, 126 for one found but not runnable, so that a script can tell
 * these from the command's own failures.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, PRELOAD } from './iptables/namespace.js';

const missing = existsSync(PRELOAD) ? undefined : `the preload library ${PRELOAD} was not built`;
const dir = mkdtempSync(join(tmpdir(), 'bpfilter-exec-status-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const execOf = (...command: string[]) =>
  spawnSync(process.execPath, [CLI, 'exec', '--', ...command], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` },
    timeout: 20_000,
  });

describe.skipIf(missing !== undefined)(
  `bpfilter exec of a command it cannot run${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('127 for a command not found, by path or in PATH, with the reason on stderr', () => {
      for (const command of [join(dir, 'none'), 'bpfilter-no-such-command']) {
        const run = execOf(command);
        expect([command, run.status]).toEqual([command, 127]);
        expect(run.stderr).toMatch(/UMD_START_FAILED: .*ENOENT/);
      }
    });

    it('126 for one found but not runnable: no execute permission, a directory', () => {
      const plain = join(dir, 'not-executable');
      writeFileSync(plain, '#!/bin/sh\nexit 0\n');
      chmodSync(plain, 0o644);
      for (const command of [plain, dir]) {
        const run = execOf(command);
        expect([command, run.status]).toEqual([command, 126]);
        expect(run.stderr).toMatch(/UMD_START_FAILED: .*EACCES/);
      }
    });

    it("the command's own status 126 or 127 passes through as it is", () => {
      expect(execOf('sh', '-c', 'exit 126').status).toBe(126);
      expect(execOf('sh', '-c', 'exit 127').status).toBe(127);
    });
  },
);
