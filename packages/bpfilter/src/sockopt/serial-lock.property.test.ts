/**
 * Two clients' SET_REPLACEs through the front end's serial lock, both sized before either runs
 * (two iptables that read GET_INFO at once), each with its steps ending as a random plan says
 * and in the scheduler's order, the second one's caller maybe giving up while it waits: each
 * ends with a status (EAGAIN for the one sized from a table replaced meanwhile, as the kernel
 * answers) or a typed error, bpfilter, the handler and the kernel then hold the same table,
 * and the next replace, sized from the kept table, is taken.
 */
import { isUmdError } from '@umd/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CALM,
  drive,
  newWorld,
  planArb,
  replaceCall,
  sameInAllThree,
} from './replace-orders.testing.js';
import { SerialLock } from './serial-lock.js';

describe("two clients' replaces through the serial lock, every completion order", () => {
  it('each ends with a status or a typed error, and all three hold the same table', async () => {
    const abort = fc.constantFrom('never', 'while waiting', 'at once');
    // Calm more often than not, so that both are taken, or the second gets EAGAIN, often too.
    const calm = fc.nat(2).map((table) => ({ ...CALM, table }));
    const plan = fc.oneof({ arbitrary: calm, weight: 2 }, { arbitrary: planArb, weight: 1 });
    await fc.assert(
      fc.asyncProperty(plan, plan, abort, fc.scheduler(), async (a, b, when, s) => {
        const world = newWorld();
        const first = await drive(s, await replaceCall(world, { ...CALM, table: 1 }, s));
        expect(first.error).toBeUndefined();
        const lock = new SerialLock();
        const runA = await replaceCall(world, a, s);
        const runB = await replaceCall(world, b, s);
        const giveUp = new AbortController();
        if (when === 'at once') giveUp.abort();
        const both = () => {
          const calls = [lock.run(runA), lock.run(runB, giveUp.signal)];
          if (when === 'while waiting')
            void s.schedule(Promise.resolve()).then(() => giveUp.abort());
          return Promise.allSettled(calls);
        };
        const { value: outcomes } = await drive(s, both);
        for (const outcome of outcomes ?? []) {
          if (outcome.status === 'fulfilled') expect(outcome.value.status).toBeLessThanOrEqual(0);
          else expect(isUmdError(outcome.reason), String(outcome.reason)).toBe(true);
        }
        await sameInAllThree(world);
        const next = await drive(s, await replaceCall(world, { ...CALM, table: 2 }, s));
        expect(next.error, String(next.error)).toBeUndefined();
        expect(next.value?.status).toBe(0);
        await sameInAllThree(world);
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
