import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { pollUntil } from '../testing/poll-until.js';
import { childEndReason, isExiting } from './child-exit.js';

/**
 * A child as the channel sees it, whose `exit` event the test sends: a host whose event loop has
 * not yet heard of an exit the kernel already shows (a loaded machine), for as long as it likes.
 */
function childAt(pid: number): ChildProcess & { exits(code: number): void } {
  const child = Object.assign(new EventEmitter(), {
    pid,
    exitCode: null as number | null,
    signalCode: null,
    exits(code: number) {
      child.exitCode = code;
      child.emit('exit', code, null);
    },
  });
  return child as unknown as ChildProcess & { exits(code: number): void };
}

const stat = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return '';
  }
};

/**
 * `sh` starts a subshell and becomes a `sleep` that never waits for it; the subshell exits only
 * once its parent is that `sleep` (a child that ended before the `exec` could be reaped by the
 * shell: no zombie), and stays a zombie (exited, not reaped) until the parent ends. Returns both.
 */
async function zombieAndParent(): Promise<{ zombie: number; parent: ChildProcess }> {
  const script =
    'p=$$; (while [ "$(cat /proc/$p/comm)" != sleep ]; do :; done) & echo $!; exec sleep 30';
  const parent = spawn('sh', ['-c', script], { stdio: 'pipe' });
  const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
  const zombie = Number(line.toString().trim());
  expect(await pollUntil(() => / Z /.test(stat(zombie)))).toBe(true);
  return { zombie, parent };
}

const parents: ChildProcess[] = [];
afterEach(() => {
  for (const parent of parents.splice(0)) parent.kill('SIGKILL');
});

describe('childEndReason', () => {
  it('waits past the grace for the exit of a child the kernel shows exited', async () => {
    const { zombie, parent } = await zombieAndParent();
    parents.push(parent);
    expect(isExiting(zombie)).toBe(true);
    const child = childAt(zombie);
    const reason = childEndReason(child);
    await sleep(600); // the 250 ms grace, twice over: the host's loop is late to hear of it
    child.exits(3);
    expect(await reason).toMatchObject({ code: 'UMD_HANDLER_EXITED', exitCode: 3 });
  });

  it('a child that lives on after its stdout ended: UMD_CLOSED after the grace', async () => {
    const { parent } = await zombieAndParent();
    parents.push(parent);
    expect(isExiting(parent.pid)).toBe(false);
    const t0 = performance.now();
    expect(await childEndReason(childAt(parent.pid!), 'it closed its stdout')).toMatchObject({
      code: 'UMD_CLOSED',
      message: 'it closed its stdout',
    });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
  });

  it('a pid that is gone is not exiting', () => {
    expect(isExiting(undefined)).toBe(false);
    expect(isExiting(2 ** 22 + 1)).toBe(false);
  });
});
