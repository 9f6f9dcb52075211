/**
 * `bpfilter classify` on the tables iptables programs set through the service: the verdicts
 * follow the rules, and iptables sees the counters classify updated.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  CLI,
  ipt,
  missingPrerequisite,
  runInNamespace,
  withoutSaveComments,
} from './iptables/namespace.js';
import { expectKernelUntouched } from './iptables/kernel-untouched.js';
import { servicePerTest } from './iptables/service-per-test.js';

const missing = missingPrerequisite();

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
  `bpfilter classify on the rules iptables set${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const service = servicePerTest();

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
  },
);
