import { describe, expect, it } from 'vitest';
import { planSpawn } from './containment.js';
import { inheritableFds } from './inheritable-fds.js';

// The program chain only (the launcher closes descriptors in the child itself): this file's
// process asks for it before containment.ts looks for the launcher.
process.env.UMD_LAUNCHER = 'off';

describe.runIf(process.platform === 'linux')('the program chain closes descriptors', () => {
  it('in the child, even when the host holds none at the time of the plan', async () => {
    // A snapshot of "none" proves nothing about the fork a moment later: another thread of the
    // host may open a file without close-on-exec in between (c-ares does, for each resolver).
    // Where this process holds none (a clean CI run), the old plan left the shell out.
    expect(inheritableFds()).toBeDefined();
    const plan = await planSpawn('/bin/true', [], 'process-group', undefined);
    const closing = plan.args.findIndex((arg) => arg.includes('/proc/self/fd/'));
    expect(closing, plan.args.join(' ')).toBeGreaterThan(0);
    expect(plan.args[closing - 1]).toBe('-c');
    expect(plan.args.at(-1)).toBe('/bin/true');
  });
});
