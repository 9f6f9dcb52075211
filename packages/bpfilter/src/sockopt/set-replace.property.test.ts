/**
 * A SET_REPLACE in enforcement mode, whatever order its concurrent steps end in (fast-check's
 * scheduler releases them one at a time, in a random order): the early compile (done, failed or
 * none), the read of the kernel's old counters (counters, none, refused), the install's commit
 * (taken, refused, thrown), the handler's reply (its receipt true or a lie), the handler dying
 * after its answer (restarted at once, or by the next request), the reinstall of the previous
 * table (taken, refused). What must hold after each replace: replace-orders.testing.ts.
 */
import { UmdErrorCode } from '@umd/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALM, checkReplaces, type Plan, planArb } from './replace-orders.testing.js';

/** Replaces of `plans` after a first, calm one (so that they replace a kept table). */
const afterKept = (...plans: Partial<Plan>[]) => [
  { ...CALM, table: 1 },
  ...plans.map((plan) => ({ ...CALM, table: 0, ...plan })),
];

/**
 * Every order of the steps of `plans`' replaces (as many as `numRuns` random ones); `failed`
 * sees the error of each that failed.
 */
const everyOrder = (plans: Plan[], numRuns = 40, failed?: (error: unknown) => void) =>
  fc.assert(
    fc.asyncProperty(fc.scheduler(), (s) => checkReplaces(plans, s, failed)),
    { numRuns },
  );

describe('setReplace in enforcement mode, every completion order of its steps', () => {
  it('leaves bpfilter, the handler and the kernel holding the same table, and the next replace taken', async () => {
    const plans = fc.array(planArb, { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(plans, fc.scheduler(), (p, s) => checkReplaces(p, s)),
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

  it('a handler gone while a table never kept is read back fails the replace as gone', async () => {
    // The read-back's GET_ENTRIES, answered by the restarted handler, was refused (EAGAIN: it is
    // sized from the gone one's GET_INFO) and reported as the handler's protocol fault.
    const codes = new Set<unknown>();
    const failed = (error: unknown) => codes.add((error as { code?: unknown }).code);
    await everyOrder([{ ...CALM, table: 0, death: 'restarted at once' }], 60, failed);
    expect([...codes].filter((code) => code !== UmdErrorCode.HANDLER_EXITED)).toEqual([]);
  });

  it("a refused install whose handler is restarted during the rollback fails with the kernel's refusal", async () => {
    // The rollback's restore, sized from the gone handler's GET_INFO, was refused (EAGAIN) by
    // the restarted one, and its UMD_PROTOCOL replaced the kernel's refusal (and its errno).
    const codes = new Set<unknown>();
    const failed = (error: unknown) => codes.add((error as { code?: unknown }).code);
    await everyOrder(afterKept({ install: 'refused', death: 'restarted at once' }), 100, failed);
    expect([...codes]).toEqual([UmdErrorCode.HANDLER_ERROR]);
  });
});
