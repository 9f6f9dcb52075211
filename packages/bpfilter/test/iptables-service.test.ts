/**
 * The service as iptables programs use it: it keeps bpfilter's tables across a handler crash
 * (the handler is SIGKILLed between two iptables runs, and the second run still sees every
 * rule, exactly as a kernel that never lost them prints them), and it serves many programs
 * at once.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { compileFixture } from './c-fixture.js';
import {
  ipt,
  missingPrerequisite,
  PRELOAD,
  PROGRAMS,
  runInNamespace,
  shownResults,
  type Step,
  which,
} from './iptables/namespace.js';
import { expectKernelUntouched } from './iptables/kernel-untouched.js';
import { servicePerTest } from './iptables/service-per-test.js';

const missing = missingPrerequisite();

/** Rules in two tables, a user chain, a policy. */
const CHANGES: Step[] = [
  ipt('-A', 'INPUT', '-s', '10.1.0.0/16', '-p', 'tcp', '--dport', '22', '-j', 'DROP'),
  ipt('-N', 'svc'),
  ipt('-A', 'svc', '-p', 'tcp', '--dport', '443', '-j', 'ACCEPT'),
  ipt('-A', 'svc', '-j', 'RETURN'),
  ipt('-A', 'INPUT', '-i', 'eth0', '-j', 'svc'),
  ipt('-t', 'raw', '-A', 'OUTPUT', '-p', 'udp', '--dport', '53', '-j', 'ACCEPT'),
  ipt('-P', 'FORWARD', 'DROP'),
];
/** What the second run reads, and one more change on top. */
const CHECKS: Step[] = [
  ipt('-S'),
  ipt('-t', 'raw', '-S'),
  ipt('-L', '-n', '-v'),
  { program: 'save' },
  ipt('-A', 'svc', '-j', 'LOG'),
  ipt('-S', 'svc'),
];

async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(25);
  }
  throw new Error(`process ${pid} did not exit`);
}

describe.skipIf(missing !== undefined)(
  `bpfilter keeps iptables rules across a handler crash${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const service = servicePerTest();

    it.runIf(which('cc') !== undefined)(
      'serves a threaded program under the preload: exchanges on a shared socket never interleave',
      { timeout: 60_000 },
      () => {
        const source = new URL('./iptables/threads.c', import.meta.url);
        const { program, remove } = compileFixture('threads', source, ['-pthread']);
        try {
          const env = {
            ...process.env,
            LD_PRELOAD: PRELOAD,
            BPFILTER_SOCKET: service().socketPath,
          };
          // Its own network namespace: were the preload bypassed, no kernel table could answer.
          const out = execFileSync('unshare', ['-n', program], { env, encoding: 'utf8' });
          expect(out).toBe('ok 1600\n');
        } finally {
          remove();
        }
      },
    );

    it('the handler is SIGKILLed between two iptables runs: the second sees every rule', {
      timeout: 90_000,
    }, async () => {
      const expected = runInNamespace([...CHANGES, ...CHECKS]);
      const first = await runInNamespace(CHANGES, { socketPath: service().socketPath });
      expectKernelUntouched(first);
      expect(first.results.map((r) => r.status)).toEqual(CHANGES.map(() => 0));

      const handlers = service().childPids();
      expect(handlers, 'one handler process under the service').toHaveLength(1);
      process.kill(handlers[0]!, 'SIGKILL');
      await waitForExit(handlers[0]!);

      const second = await runInNamespace(CHECKS, { socketPath: service().socketPath });
      expectKernelUntouched(second);
      const restarted = service().childPids();
      expect(restarted).toHaveLength(1);
      expect(restarted[0]).not.toBe(handlers[0]);
      expect(shownResults(second)).toEqual(shownResults(await expected, CHANGES.length));
      expect(second.results[0]!.stdout).toContain('-A svc -p tcp -m tcp --dport 443 -j ACCEPT');
    });

    it('bpfilter exec without --socket runs a service of its own for the command', {
      timeout: 60_000,
    }, async () => {
      const steps = [
        ipt('-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP'),
        ipt('-S'),
        { program: 'save' } as Step,
      ];
      const [kernel, own] = await Promise.all([
        runInNamespace(steps),
        runInNamespace(steps, { freshService: true }),
      ]);
      expectKernelUntouched(own);
      expect(shownResults(own)).toEqual(shownResults(kernel));
      // That service ended with the command: a second run starts from empty tables.
      const again = await runInNamespace([ipt('-S')], { freshService: true });
      expect(again.results[0]!.stdout).toBe(
        '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n',
      );
    });

    it('serves many iptables programs at once: with the xtables lock (-w) no change is lost', {
      timeout: 90_000,
    }, async () => {
      const count = 8;
      const parallel: Step = {
        program: 'shell',
        args: [
          '-c',
          `for i in $(seq 1 ${count}); do ${PROGRAMS.iptables} -w -A INPUT -s 10.9.0.$i -j DROP & done; wait`,
        ],
      };
      const run = await runInNamespace([parallel, ipt('-S', 'INPUT')], {
        socketPath: service().socketPath,
      });
      expectKernelUntouched(run);
      expect(run.results[0]!.stderr).not.toContain('bpfilter_preload');
      expect(run.results[0]!.stderr).not.toContain('iptables v');
      const rules = run.results[1]!.stdout.split('\n').filter((line) =>
        line.startsWith('-A INPUT'),
      );
      expect(rules.sort()).toEqual(
        Array.from({ length: count }, (_, i) => `-A INPUT -s 10.9.0.${i + 1}/32 -j DROP`).sort(),
      );
    });
  },
);
