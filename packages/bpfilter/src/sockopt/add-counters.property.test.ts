/**
 * A SET_ADD_COUNTERS whatever order its steps end in, the handler dying after its answer or
 * not (restarted at once, or by the next request): bpfilter and the handler hold the same
 * counters, the added ones exactly when the call succeeded (replace-orders.testing.ts).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkAddCounters, type Plan } from './replace-orders.testing.js';

describe('SET_ADD_COUNTERS, every completion order of its steps', () => {
  it('leaves bpfilter and the handler holding the same counters, added exactly on success', async () => {
    const death = fc.constantFrom<Plan['death']>(
      'none',
      'restarted at once',
      'restarted by the next request',
    );
    const plan = fc.record({ table: fc.nat(2), death });
    const added = fc.array(fc.nat(1000), { minLength: 1, maxLength: 4 });
    await fc.assert(fc.asyncProperty(plan, added, fc.scheduler(), checkAddCounters), {
      numRuns: 100,
    });
  }, 60_000);
});
