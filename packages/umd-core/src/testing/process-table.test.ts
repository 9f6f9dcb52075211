import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { pollUntil } from './poll-until.js';
import { childrenOf, descendantsOf, groupMembers, isAlive, readProcess } from './process-table.js';

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

  it('finds grandchildren and the members of a detached process group', async () => {
    const shell = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore', detached: true });
    await once(shell, 'spawn');
    const pgid = shell.pid as number;
    let sleeper: number | undefined;
    await pollUntil(() => {
      sleeper = descendantsOf(process.pid).find((row) => row.ppid === pgid)?.pid;
      return sleeper !== undefined;
    });
    expect(sleeper).toBeDefined();
    expect(
      groupMembers(pgid)
        .map((row) => row.pid)
        .sort(),
    ).toEqual([pgid, sleeper].sort());
    process.kill(-pgid, 'SIGKILL');
    await once(shell, 'exit');
    await pollUntil(() => groupMembers(pgid).length === 0);
    expect(groupMembers(pgid)).toEqual([]);
  });

  it('knows a pid that does not exist', () => {
    expect(readProcess(2 ** 22 + 1)).toBeUndefined();
    expect(isAlive(2 ** 22 + 1)).toBe(false);
  });
});
