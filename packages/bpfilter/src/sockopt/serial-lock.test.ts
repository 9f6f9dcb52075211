import { describe, expect, it } from 'vitest';
import { SerialLock } from './serial-lock.js';

describe('SerialLock', () => {
  it('runs tasks one at a time in call order, also after a failure', async () => {
    const lock = new SerialLock();
    const log: string[] = [];
    const task = (name: string, fail = false) => async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`${name}-`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([lock.run(task('a')), lock.run(task('b', true)), lock.run(task('c'))]);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
