import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { childrenOf, isAlive, readProcess } from './process-table.js';

describe.runIf(process.platform === 'linux')('process table', () => {
  it('reads this process and sees a child come and go', async () => {
    expect(readProcess(process.pid)).toMatchObject({ pid: process.pid, ppid: process.ppid });
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const pid = child.pid as number;
    expect(isAlive(pid)).toBe(true);
    expect(childrenOf(process.pid).map((c) => c.pid)).toContain(pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(isAlive(pid)).toBe(false);
    expect(childrenOf(process.pid).map((c) => c.pid)).not.toContain(pid);
  });

  it('knows a pid that does not exist', () => {
    expect(readProcess(2 ** 22 + 1)).toBeUndefined();
  });
});
