/**
 * The preload library's refusals: whatever goes wrong, an iptables program under it fails
 * with a clear errno and message, and the namespace's kernel tables stay untouched.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingPrerequisite, PRELOAD, runInNamespace, which } from './iptables/namespace.js';
import { expectKernelUntouched } from './iptables/kernel-untouched.js';

const missing = missingPrerequisite();

describe.skipIf(missing !== undefined)(
  `the preload library never reaches the kernel${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'bpfilter-preload-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('with no service listening: every program fails with ECONNREFUSED and says why', async () => {
      const run = await runInNamespace(
        [
          { program: 'iptables', args: ['-A', 'INPUT', '-j', 'DROP'] },
          { program: 'iptables', args: ['-L', '-n'] },
          { program: 'save' },
        ],
        { socketPath: join(dir, 'nobody-listens.sock') },
      );
      for (const result of run.results) {
        expect(result.status).not.toBe(0);
        expect(result.stderr).toContain('bpfilter_preload: cannot reach the bpfilter service');
        expect(result.stderr).toContain('Connection refused');
        expect(result.stderr).toContain('nothing was sent to the kernel');
        expect(result.stdout).toBe('');
      }
      expect(run.results[1]!.stderr).toContain(
        "can't initialize iptables table `filter': Connection refused",
      );
      expectKernelUntouched(run);
    });

    it('with no BPFILTER_SOCKET at all: EDESTADDRREQ, not the kernel', async () => {
      const run = await runInNamespace([{ program: 'iptables', args: ['-S'] }], {
        env: { LD_PRELOAD: PRELOAD },
      });
      expect(run.results[0]!.status).not.toBe(0);
      expect(run.results[0]!.stderr).toContain(
        'no bpfilter service configured (service BPFILTER_SOCKET=(unset))',
      );
      expect(run.results[0]!.stderr).toContain('Destination address required');
      expectKernelUntouched(run);
    });

    it.runIf(which('cc') !== undefined)(
      'refuses iptables options on a socket it did not create (the kernel would answer them)',
      () => {
        const program = join(dir, 'foreign-socket');
        execFileSync('cc', [
          '-O0',
          '-o',
          program,
          fileURLToPath(new URL('./iptables/foreign-socket.c', import.meta.url)),
        ]);
        const env = { ...process.env, XTABLES_LOCKFILE: join(dir, 'lock') };
        // Without the preload, in its own namespace, the kernel answers the get (that is the danger).
        expect(execFileSync('unshare', ['-n', program], { env, encoding: 'utf8' })).toMatch(
          /^get 0 0\n/,
        );
        const script = [
          `LD_PRELOAD=${PRELOAD} BPFILTER_SOCKET=${join(dir, 'unused.sock')} ${program} 2>&1`,
          'echo kernel:; cat /proc/net/ip_tables_names',
        ].join('\n');
        const out = execFileSync('unshare', ['-n', 'sh', '-c', script], { env, encoding: 'utf8' });
        expect(out).toContain('bpfilter_preload: refusing iptables option 64 on descriptor');
        expect(out).toContain('get -1 13\n'); // EACCES
        expect(out).toContain('set -1 13\n');
        expect(out.split('kernel:\n')[1]).toBe('');
      },
    );

    it.runIf(which('ip6tables-legacy') !== undefined)(
      'refuses ip6tables (IPv6 is not served) instead of passing it to the kernel',
      () => {
        const ip6 = which('ip6tables-legacy')!;
        const ip6save = which('ip6tables-legacy-save')!;
        const script = join(dir, 'ip6.sh');
        const out = join(dir, 'ip6.out');
        writeFileSync(
          script,
          [
            `LD_PRELOAD=${PRELOAD} BPFILTER_SOCKET=${join(dir, 'unused.sock')} ${ip6} -A INPUT -j DROP >${out} 2>&1; echo "rc=$?" >>${out}`,
            `echo "kernel:" >>${out}; ${ip6save} >>${out} 2>&1; cat /proc/net/ip6_tables_names >>${out} 2>&1`,
          ].join('\n'),
        );
        execFileSync('unshare', ['-n', 'sh', script], {
          env: { ...process.env, XTABLES_LOCKFILE: join(dir, 'lock') },
        });
        const text = readFileSync(out, 'utf8');
        expect(text).toContain('bpfilter_preload: IPv6 (ip6tables) is not served by bpfilter');
        expect(text).toMatch(/rc=[1-9]/);
        expect(text.split('kernel:\n')[1]).toBe('');
      },
    );
  },
);
