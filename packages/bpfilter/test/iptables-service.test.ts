/**
 * The service as iptables programs use it: it keeps bpfilter's tables across a handler crash
 * (the handler is SIGKILLed between two iptables runs, and the second run still sees every
 * rule, exactly as a kernel that never lost them prints them), and it serves many programs
 * at once.
 */
import { execFile, execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileFixture } from './c-fixture.js';
import {
  CLI,
  ipt,
  missingPrerequisite,
  type NamespaceRun,
  PRELOAD,
  PROGRAMS,
  runInNamespace,
  shownResults,
  type Step,
  which,
  withoutSaveComments,
} from './iptables/namespace.js';
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
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`process ${pid} did not exit`);
}

function expectKernelUntouched(run: NamespaceRun): void {
  expect(run.kernelTableNames).toBe('');
  expect(run.kernelSave).toBe('');
}

/** `bpfilter classify --socket ... --json` for one packet (its options, space-separated): the parsed result. */
function classify(
  socketPath: string,
  packet: string,
): Promise<{
  verdict: string;
  rule: { chain: string; rule?: number; policy?: boolean };
  logs: { prefix: string }[];
  rejectWith?: string;
}> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        CLI,
        'classify',
        '--socket',
        socketPath,
        '--table',
        'filter',
        '--json',
        ...packet.split(' '),
      ],
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`bpfilter classify failed: ${stderr}`))
          : resolve(JSON.parse(stdout)),
    );
  });
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

    it('bpfilter classify applies the rules iptables set, and iptables sees the counters it updated', {
      timeout: 90_000,
    }, async () => {
      const setup = await runInNamespace(
        [
          ipt('-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT'),
          ipt('-A', 'INPUT', '-s', '10.0.0.0/8', '-p', 'tcp', '--dport', '22', '-j', 'DROP'),
          ipt('-N', 'web'),
          ipt('-A', 'web', '-p', 'tcp', '--dport', '80', '-j', 'ACCEPT'),
          ipt('-A', 'web', '-j', 'RETURN'),
          ipt('-A', 'INPUT', '-i', 'eth0', '-j', 'web'),
          ipt('-A', 'INPUT', '-p', 'udp', '!', '--sport', '53', '-j', 'REJECT'),
          ipt(
            '-A',
            'INPUT',
            '-p',
            'icmp',
            '--icmp-type',
            'echo-request',
            '-j',
            'LOG',
            '--log-prefix',
            'ping ',
          ),
          ipt('-P', 'INPUT', 'DROP'),
        ],
        { socketPath: service().socketPath },
      );
      expectKernelUntouched(setup);
      expect(setup.results.map((r) => r.status)).toEqual(setup.results.map(() => 0));

      const input = '--hook INPUT --dst 192.0.2.1 --length 100';
      const ssh = await classify(
        service().socketPath,
        `${input} --src 10.1.2.3 --proto tcp --dport 22 --in eth1`,
      );
      expect([ssh.verdict, ssh.rule]).toEqual(['DROP', { chain: 'INPUT', rule: 2 }]);
      const http = await classify(
        service().socketPath,
        `${input} --src 192.0.2.9 --proto tcp --dport 80 --in eth0`,
      );
      expect([http.verdict, http.rule]).toEqual(['ACCEPT', { chain: 'web', rule: 1 }]);
      const https = await classify(
        service().socketPath,
        `${input} --src 192.0.2.9 --proto tcp --dport 443 --in eth0`,
      );
      expect([https.verdict, https.rule]).toEqual(['DROP', { chain: 'INPUT', policy: true }]); // web RETURNs, then the policy
      const dns = await classify(
        service().socketPath,
        `${input} --src 192.0.2.9 --proto udp --sport 1234 --dport 53 --in eth1`,
      );
      expect([dns.verdict, dns.rule]).toEqual(['REJECT', { chain: 'INPUT', rule: 4 }]);
      const ping = await classify(
        service().socketPath,
        `${input} --src 192.0.2.9 --proto icmp --icmp-type echo-request --in eth1`,
      );
      expect([ping.verdict, ping.logs.map((l) => l.prefix)]).toEqual(['DROP', ['ping ']]);
      const local = await classify(
        service().socketPath,
        `${input} --src 127.0.0.1 --proto tcp --dport 22 --in lo`,
      );
      expect([local.verdict, local.rule]).toEqual(['ACCEPT', { chain: 'INPUT', rule: 1 }]);

      // The counters classify updated are the ones iptables lists.
      const listed = await runInNamespace(
        [ipt('-L', 'INPUT', '-n', '-v', '-x'), ipt('-L', 'web', '-n', '-v', '-x')],
        { socketPath: service().socketPath },
      );
      expectKernelUntouched(listed);
      const counts = (text: string) =>
        text
          .split('\n')
          .slice(2)
          .filter(Boolean)
          .map((line) => line.trim().split(/\s+/).slice(0, 3).join(' '));
      expect(listed.results[0]!.stdout.split('\n')[0]).toBe(
        'Chain INPUT (policy DROP 2 packets, 200 bytes)',
      );
      expect(counts(listed.results[0]!.stdout)).toEqual([
        '1 100 ACCEPT',
        '1 100 DROP',
        '2 200 web',
        '1 100 REJECT',
        '1 100 LOG',
      ]);
      expect(counts(listed.results[1]!.stdout)).toEqual(['1 100 ACCEPT', '1 100 RETURN']);
    });

    it('a rule set without -j only counts: classify passes it on to the later rules, and iptables sees its counters', {
      timeout: 90_000,
    }, async () => {
      const setup = await runInNamespace(
        [
          ipt('-A', 'INPUT', '-s', '192.0.2.9'),
          ipt('-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP'),
          ipt('-P', 'INPUT', 'ACCEPT'),
        ],
        { socketPath: service().socketPath },
      );
      expectKernelUntouched(setup);
      expect(setup.results.map((r) => r.status)).toEqual([0, 0, 0]);

      const input = '--hook INPUT --dst 192.0.2.1 --length 100 --proto tcp --in eth0';
      const ssh = await classify(service().socketPath, `${input} --src 192.0.2.9 --dport 22`);
      expect([ssh.verdict, ssh.rule]).toEqual(['DROP', { chain: 'INPUT', rule: 2 }]);
      const http = await classify(service().socketPath, `${input} --src 192.0.2.9 --dport 80`);
      expect([http.verdict, http.rule]).toEqual(['ACCEPT', { chain: 'INPUT', policy: true }]);
      const other = await classify(service().socketPath, `${input} --src 198.51.100.1 --dport 22`);
      expect([other.verdict, other.rule]).toEqual(['DROP', { chain: 'INPUT', rule: 2 }]);

      const saved = await runInNamespace([{ program: 'save', args: ['-c'] }], {
        socketPath: service().socketPath,
      });
      expectKernelUntouched(saved);
      const rules = withoutSaveComments(saved.results[0]!.stdout)
        .split('\n')
        .filter((line) => line.includes('-A INPUT') || line.startsWith(':INPUT'));
      expect(rules).toEqual([
        ':INPUT ACCEPT [1:100]',
        '[2:200] -A INPUT -s 192.0.2.9/32',
        '[2:200] -A INPUT -p tcp -m tcp --dport 22 -j DROP',
      ]);
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
