import { describe, expect, it } from 'vitest';
import { hostEnvironment } from './check-environment.js';

describe('hostEnvironment', () => {
  it('reads the rate estimators of the tables in use only when a check first asks', () => {
    let reads = 0;
    const inUse = {
      *[Symbol.iterator]() {
        reads++;
        yield 'est1';
      },
    };
    const env = hostEnvironment(inUse);
    // A table without a rateest match or RATEEST target never walks the tables in use.
    expect(reads).toBe(0);
    expect(env.rateEstimatorExists('est1')).toBe(true);
    expect(env.rateEstimatorExists('est2')).toBe(false);
    env.addRateEstimator('est2');
    expect(env.rateEstimatorExists('est2')).toBe(true);
    expect(reads).toBe(1);
  });

  it('counts an estimator a rule adds before any was asked for', () => {
    const env = hostEnvironment(['est1']);
    env.addRateEstimator('est2');
    expect(env.rateEstimatorExists('est1')).toBe(true);
    expect(env.rateEstimatorExists('est2')).toBe(true);
  });
});
