/**
 * Moving real firewalls: the nat and security tables, and rulesets shaped like Docker's,
 * kube-proxy's, ufw's and fail2ban's, restored, listed, saved and edited with Debian's
 * iptables-legacy programs, once against a namespace's kernel and once through
 * `bpfilter exec`: same output, same exit status. The tables then survive the handler's death.
 */
import { describe, expect, it } from 'vitest';
import {
  HALF_BAD_STEPS,
  NAT_STEPS,
  RULESET_STEPS,
  rulesFile,
} from './iptables/migration-scenario.js';
import {
  missingPrerequisite,
  runInNamespace,
  shownResults,
  withoutSaveComments,
  type Step,
} from './iptables/namespace.js';
import { servicePerTest } from './iptables/service-per-test.js';

const missing = missingPrerequisite();

describe.skipIf(missing !== undefined)(
  `migrating rulesets through bpfilter exec${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const service = servicePerTest();

    async function both(steps: Step[]) {
      const [kernel, bpfilter] = await Promise.all([
        runInNamespace(steps),
        runInNamespace(steps, { socketPath: service().socketPath }),
      ]);
      expect(bpfilter.kernelTableNames, 'nothing reached the namespace kernel').toBe('');
      expect(shownResults(bpfilter)).toEqual(shownResults(kernel));
      return kernel;
    }

    it('nat and security: every NAT target, listings, refusals, edits', {
      timeout: 300_000,
    }, async () => {
      const kernel = await both(NAT_STEPS);
      const saved = kernel.results.find((r) => r.step.program === 'save')!.stdout;
      expect(saved).toContain('-j NETMAP --to 10.9.0.0/24');
      expect(saved).toContain('*security');
      // The refusals really are refusals on the kernel side.
      const refused = kernel.results.filter((r) => r.status !== 0).map((r) => r.stderr);
      expect(refused.filter((e) => e.includes('Invalid argument')).length).toBeGreaterThan(5);
    });

    it('rulesets shaped like Docker, kube-proxy, ufw and fail2ban', {
      timeout: 300_000,
    }, async () => {
      const kernel = await both(RULESET_STEPS);
      const saves = kernel.results.filter((r) => r.step.program === 'save').map((r) => r.stdout);
      expect(saves[0]).toContain('-j DNAT --to-destination 172.17.0.2:80');
      expect(saves[1]).toContain('-j MASQUERADE --random-fully');
      const setRule = kernel.results.find((r) => r.step.args?.includes('--match-set'));
      expect(setRule?.stderr).toContain("Set f2b-sshd doesn't exist.");
    });

    it('a restore whose nat section is refused leaves what the kernel leaves', {
      timeout: 300_000,
    }, async () => {
      const kernel = await both(HALF_BAD_STEPS);
      expect(kernel.results[0]!.status).not.toBe(0);
      // The kernel committed the filter section before the nat section failed.
      expect(kernel.results[1]!.stdout).toContain('-A INPUT -s 192.0.2.1/32 -j DROP');
      expect(kernel.results[1]!.stdout).not.toContain('*mangle');
    });

    it('the restored tables survive the handler being killed', {
      timeout: 300_000,
    }, async () => {
      const load: Step[] = ['docker', 'kube-proxy', 'fail2ban'].map((name) => ({
        program: 'restore',
        args: ['--noflush'],
        stdinFile: rulesFile(name),
      }));
      const saveAll: Step[] = [{ program: 'save', args: ['-c'] }];
      const socketPath = service().socketPath;
      const before = await runInNamespace([...load, ...saveAll], { socketPath });
      expect(before.results.map((r) => r.status)).toEqual([0, 0, 0, 0]);
      const handlers = service().childPids();
      expect(handlers.length).toBeGreaterThan(0);
      for (const pid of handlers) process.kill(pid, 'SIGKILL');
      const after = await runInNamespace(saveAll, { socketPath });
      expect(after.results[0]!.status).toBe(0);
      expect(withoutSaveComments(after.results[0]!.stdout)).toBe(
        withoutSaveComments(before.results.at(-1)!.stdout),
      );
      expect(after.results[0]!.stdout).toContain('*nat');
      expect(
        service()
          .childPids()
          .some((pid) => !handlers.includes(pid)),
      ).toBe(true);
    });
  },
);
