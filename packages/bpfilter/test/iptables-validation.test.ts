/**
 * The kernel's refusals, side by side: every rule of validation-cases.ts is added with Debian's
 * iptables-legacy once to the kernel of a throwaway namespace and once to bpfilter through
 * `bpfilter exec`; exit status, stdout and stderr (iptables' rendering of the errno) must be
 * the same, and so must the tables iptables-legacy-save prints at the end (nothing refused is
 * left behind, everything accepted prints byte for byte the same).
 */
import { describe, expect, it } from 'vitest';
import {
  missingPrerequisite,
  runInNamespace,
  shownResults,
  type Step,
} from './iptables/namespace.js';
import { servicePerTest } from './iptables/service-per-test.js';
import { CHECK_CASES, POSITION_CASES, type RuleCase } from './iptables/validation-cases.js';

const missing = missingPrerequisite();

const ruleStep = ([table, chain, ...args]: RuleCase): Step => ({
  program: 'iptables',
  args: ['-t', table, '-A', chain, ...args],
});

const SETUP: Step[] = [
  { program: 'iptables', args: ['-N', 'owned'] },
  { program: 'iptables', args: ['-t', 'nat', '-N', 'to-web'] },
];
const TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'];
const SAVE: Step[] = TABLES.map((table) => ({ program: 'save', args: ['-t', table] }));

/** The extension a rule case is about: its `-j` target, else its last `-m` match. */
function extensionOf(rule: RuleCase): string {
  const args = rule.slice(2);
  const j = args.indexOf('-j');
  if (j >= 0) return args[j + 1] ?? '';
  return args[args.lastIndexOf('-m') + 1] ?? '';
}

describe.skipIf(missing !== undefined)(
  `the kernel's validation, side by side${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const service = servicePerTest();

    it('accepts and refuses every rule as the kernel does, with its errno and message', {
      timeout: 900_000,
    }, async () => {
      const cases = [...POSITION_CASES, ...CHECK_CASES];
      const steps = [...SETUP, ...cases.map(ruleStep), ...SAVE];
      const [kernel, bpfilter] = await Promise.all([
        runInNamespace(steps),
        runInNamespace(steps, { socketPath: service().socketPath }),
      ]);
      expect(bpfilter.kernelTableNames, 'nothing reached the namespace kernel').toBe('');

      expect(shownResults(bpfilter)).toEqual(shownResults(kernel));

      // The cases really cover both sides for every extension the sweep could refuse.
      const outcomes = new Map<string, Set<string>>();
      cases.forEach((rule, i) => {
        const status = kernel.results[SETUP.length + i]!.status;
        const seen = outcomes.get(extensionOf(rule)) ?? new Set<string>();
        seen.add(status === 0 ? 'accepted' : 'refused');
        outcomes.set(extensionOf(rule), seen);
      });
      const both = [...outcomes.values()].filter((s) => s.size === 2).length;
      if (process.env.BPFILTER_VALIDATION_REPORT)
        console.log(
          [...outcomes].map(([name, seen]) => `${name}: ${[...seen].join('+')}`).join('\n'),
        );
      expect(both).toBeGreaterThanOrEqual(50);
      const refusals = kernel.results.filter((r) => r.status !== 0).length;
      expect(refusals).toBeGreaterThanOrEqual(80);
    });
  },
);
