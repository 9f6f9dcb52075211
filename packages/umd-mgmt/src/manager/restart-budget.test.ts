import { describe, expect, it } from 'vitest';
import { RestartBudget } from './restart-budget.js';

describe('RestartBudget', () => {
  it('allows maxStarts per sliding window, then refuses until the window passes or a reset', () => {
    let now = 0;
    const budget = new RestartBudget({ maxStarts: 2, windowMs: 100 }, () => now);
    expect(budget.tryTake()).toBe(true);
    now = 10;
    expect(budget.tryTake()).toBe(true);
    expect(budget.tryTake()).toBe(false);
    expect(budget.msUntilNextStart()).toBe(90);
    now = 100;
    expect(budget.tryTake()).toBe(true);
    expect(budget.tryTake()).toBe(false);
    budget.reset();
    expect(budget.tryTake()).toBe(true);
  });
});
