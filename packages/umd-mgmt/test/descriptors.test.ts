import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import './helpers/fixtures.js';

const FD_HOST = fileURLToPath(new URL('./fixtures/fd-host.mjs', import.meta.url));
/** The descriptor numbers of a handler's `fds:` listing ("<fd> <target>" lines). */
function fdNumbers(listing: string): string[] {
  return listing
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[0]!);
}

const root = process.platform === 'linux' && process.getuid?.() === 0;

describe('descriptors', () => {
  it.runIf(process.platform === 'linux')(
    'a descriptor the host inherited without close-on-exec reaches no handler (native, JS; both containments)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'umd-fds-'));
      const secret = join(dir, 'secret');
      await writeFile(secret, 'root only', { mode: 0o600 });
      await chmod(dir, 0o700);
      const fd = openSync(secret, 'r+');
      try {
        // The host's fds 3 and 40 are the secret, open for writing, and not close-on-exec.
        const stdio = ['ignore', 'pipe', 'inherit', fd, ...Array(36).fill('ignore'), fd];
        const host = spawn(process.execPath, [FD_HOST], { stdio });
        let out = '';
        host.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        expect(await once(host, 'exit')).toEqual([0, null]);
        const report = JSON.parse(out) as { host: string[]; handlers: Record<string, string> };
        expect(report.host).toEqual([secret, secret]);
        const kinds = Object.keys(report.handlers).sort();
        expect(kinds).toEqual(
          root
            ? [
                'js pid-namespace',
                'js process-group',
                'native pid-namespace',
                'native process-group',
              ]
            : expect.arrayContaining(['js process-group', 'native process-group']),
        );
        for (const [kind, listing] of Object.entries(report.handlers)) {
          expect(listing, kind).not.toContain(secret);
          // A native handler holds exactly what the manager passes: stdin, stdout, stderr.
          if (kind.startsWith('native')) expect(fdNumbers(listing), kind).toEqual(['0', '1', '2']);
        }
      } finally {
        closeSync(fd);
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it.runIf(process.platform === 'linux')(
    'a host without such descriptors: its handlers hold stdin, stdout and stderr only',
    async () => {
      // The wrapper closes every descriptor above 2 (the test runner's own included).
      const host = spawn(
        'bash',
        [
          '-c',
          'for f in /proc/self/fd/*; do f=${f##*/}; if ((f > 2)) && [[ -e /proc/self/fd/$f ]]; then exec {f}>&-; fi; done; exec "$0" "$@"',
          process.execPath,
          FD_HOST,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_DEBUG: 'umd' } },
      );
      let out = '';
      let log = '';
      host.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      host.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
      expect(await once(host, 'exit')).toEqual([0, null]);
      expect(log).toContain('handler native-echo started');
      // The launcher closes in the child; the chain's shell runs at every start all the same (a
      // host's "none" is a snapshot another thread can make wrong before the fork).
      if (!log.includes('handlers start through the launcher'))
        expect(log).toContain('without close-on-exec: none now');
      const report = JSON.parse(out) as { handlers: Record<string, string> };
      for (const [kind, listing] of Object.entries(report.handlers))
        if (kind.startsWith('native')) expect(fdNumbers(listing), kind).toEqual(['0', '1', '2']);
    },
  );
});
