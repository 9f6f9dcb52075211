/**
 * A SET_REPLACE in enforcement mode, whatever order its concurrent steps end in (fast-check's
 * scheduler releases them one at a time, in a random order): the early compile (done, failed or
 * none), the read of the kernel's old counters (counters, none, refused), the install's commit
 * (taken, refused, thrown), the handler's reply (its receipt true or a lie), the handler dying
 * after its answer (restarted at once, or by the next request), the reinstall of the previous
 * table (taken, refused). What must hold after each replace: replace-orders.testing.ts.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { CALM, checkReplaces, type Plan, planArb } from './replace-orders.testing.js';

/** Replaces of `plans` after a first, calm one (so that they replace a kept table). */
const afterKept = (...plans: Partial<Plan>[]) => [
  { ...CALM, table: 1 },
  ...plans.map((plan) => ({ ...CALM, table: 0, ...plan })),
];

/** Every order of the steps of `plans`' replaces (as many as `numRuns` random ones). */
const everyOrder = (plans: Plan[], numRuns = 40) =>
  fc.assert(
    fc.asyncProperty(fc.scheduler(), (s) => checkReplaces(plans, s)),
    { numRuns },
  );

describe('setReplace in enforcement mode, every completion order of its steps', () => {
  it('leaves bpfilter, the handler and the kernel holding the same table, and the next replace taken', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(planArb, { minLength: 1, maxLength: 3 }),
        fc.scheduler(),
        checkReplaces,
      ),
      { numRuns: 200 },
    );
  }, 120_000);
});

describe('setReplace in enforcement mode: what the property found', () => {
  it('an install failing with an error of no kind fails the replace with an EnforcementError', async () => {
    await everyOrder([{ ...CALM, table: 0, install: 'throws' }]);
    await everyOrder(afterKept({ install: 'throws' }));
  });

  it('a handler gone after its answer gets the previous table with the kernel counters bpfilter keeps', async () => {
    await everyOrder(afterKept({ death: 'restarted at once' }));
  });

  it('a kernel that refuses the previous table back leaves the new one in all three', async () => {
    await everyOrder(afterKept({ receipt: 'lie', reinstall: 'refused' }));
    await everyOrder(afterKept({ death: 'restarted at once', reinstall: 'refused' }));
  });
});
