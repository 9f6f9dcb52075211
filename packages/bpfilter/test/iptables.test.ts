/**
 * Real iptables programs (Debian's iptables-legacy 1.8.9) change and read bpfilter's tables
 * through `bpfilter exec`, and print exactly what they print against a kernel: the same
 * commands run against the kernel of another throwaway namespace give the expected output.
 * Every run ends by checking that its namespace's kernel tables stayed empty.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  missingPrerequisite,
  runInNamespace,
  shownResults,
  withoutCounters,
  withoutSaveComments,
  type NamespaceRun,
  type Step,
} from './iptables/namespace.js';
import { fileURLToPath } from 'node:url';
import { servicePerTest } from './iptables/service-per-test.js';
import { BUILD_STEPS, counterSteps, TEARDOWN_STEPS } from './iptables/scenario.js';

const missing = missingPrerequisite();
// In CI the prerequisites are installed by .ci/run: missing ones fail the run instead of skipping.
const mustRun = process.env.CI === 'true' || process.env.CI === '1';

if (mustRun && missing) {
  describe('iptables prerequisites (CI)', () => {
    it('are installed', () => {
      expect.fail(`cannot run the iptables tests: ${missing}`);
    });
  });
}

describe.skipIf(missing !== undefined)(
  `iptables-legacy through bpfilter exec${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    // Each test gets a fresh service, as each kernel run gets a fresh namespace.
    const service = servicePerTest();
    let scratch: string;

    beforeAll(() => {
      scratch = mkdtempSync(join(tmpdir(), 'bpfilter-ipt-'));
    });
    afterAll(() => {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    /** Runs the same steps against a kernel and through bpfilter, in two fresh namespaces. */
    async function both(steps: Step[]): Promise<{ kernel: NamespaceRun; bpfilter: NamespaceRun }> {
      const [kernel, bpfilter] = await Promise.all([
        runInNamespace(steps),
        runInNamespace(steps, { socketPath: service().socketPath }),
      ]);
      expectKernelUntouched(bpfilter);
      return { kernel, bpfilter };
    }

    function expectSameOutput(kernel: NamespaceRun, bpfilter: NamespaceRun): void {
      expect(shownResults(bpfilter)).toEqual(shownResults(kernel));
    }

    it('builds, lists, edits and refuses exactly as against a kernel, then tears down', {
      timeout: 120_000,
    }, async () => {
      const steps = [...BUILD_STEPS, ...TEARDOWN_STEPS];
      const { kernel, bpfilter } = await both(steps);
      // The kernel side really did something (the expectation is not empty).
      expect(kernel.kernelSave).toContain('*raw');
      const listed = kernel.results.find((r) => r.step.args?.join(' ') === '-S')?.stdout;
      expect(listed).toContain('-A web -g audit');
      // Rules without -j are in the expectation, printed without a target.
      expect(listed).toContain('\n-A INPUT -s 1.2.3.4/32\n');
      expect(listed).toContain('\n-A OUTPUT -p tcp -m tcp --dport 443\n');
      expect(listed).toContain('\n-A web -d 5.6.7.8/32\n');
      expectSameOutput(kernel, bpfilter);
    });

    it('restores, lists, saves and zeroes packet and byte counters as a kernel does', {
      timeout: 120_000,
    }, async () => {
      const rules = fileURLToPath(new URL('./iptables/counters.rules', import.meta.url));
      const { kernel, bpfilter } = await both(counterSteps(rules));
      expect(kernel.results[2]!.stdout).toContain('[5:300] -A INPUT -s 10.0.0.0/8');
      expectSameOutput(kernel, bpfilter);
    });

    it('iptables-legacy-restore of the saved text reproduces the same tables', {
      timeout: 120_000,
    }, async () => {
      // The save text comes from the kernel side after BUILD_STEPS; both sides restore it.
      const built = await runInNamespace(BUILD_STEPS);
      const saved = built.results.at(-2)!.stdout;
      expect(saved).toContain('-A webchain -g audit');
      const file = join(scratch, 'saved.rules');
      writeFileSync(file, saved);
      const steps: Step[] = [
        { program: 'iptables', args: ['-F'] },
        { program: 'iptables', args: ['-X'] },
        { program: 'iptables', args: ['-t', 'raw', '-F'] },
        { program: 'restore', stdinFile: file },
        { program: 'save' },
        { program: 'iptables', args: ['-S'] },
        { program: 'iptables', args: ['-t', 'raw', '-L', '-n', '-v'] },
        // --noflush keeps what is there and adds.
        { program: 'restore', args: ['--noflush'], stdinFile: file },
        { program: 'iptables', args: ['-S', 'INPUT'] },
        { program: 'restore', args: ['--test'], stdinFile: file },
      ];
      const { kernel, bpfilter } = await both(steps);
      expectSameOutput(kernel, bpfilter);
      // "Counters aside": the restored tables print the very text that was restored.
      const restored = bpfilter.results[4]!.stdout;
      expect(withoutCounters(withoutSaveComments(restored))).toBe(
        withoutCounters(withoutSaveComments(saved)),
      );
    });
  },
);

function expectKernelUntouched(run: NamespaceRun): void {
  expect(run.kernelTableNames, 'the namespace kernel has no iptables table').toBe('');
  expect(run.kernelSave, 'iptables-legacy-save of the namespace kernel prints nothing').toBe('');
}
