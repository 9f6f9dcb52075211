// Tests the BUILT package (its own name resolves to dist/): a real handler process, real pipes.
import { waitForExit } from '@umd/mgmt';
import { afterEach, describe, expect, it } from 'vitest';
import { create__PASCAL__Manager, upper } from '__PACKAGE_NAME__';

const managers: ReturnType<typeof create__PASCAL__Manager>[] = [];
afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.stop();
});
function manager() {
  const created = create__PASCAL__Manager();
  managers.push(created);
  return created;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('__PACKAGE_NAME__', () => {
  it('answers a request from its handler process', async () => {
    const driver = manager();
    expect(await upper(driver, 'hello')).toBe('HELLO');
    expect(driver.pid).not.toBe(process.pid);
  });

  it('refuses an empty request with a typed error, and goes on', async () => {
    const driver = manager();
    await expect(upper(driver, '')).rejects.toMatchObject({ code: 'UMD_HANDLER_ERROR' });
    expect(await upper(driver, 'still here')).toBe('STILL HERE');
  });

  it('a killed handler is replaced on the next request; stop leaves no process', async () => {
    const driver = manager();
    await upper(driver, 'x');
    const first = driver.pid as number;
    // Until the manager has seen the exit, a request would still go to the dead handler.
    const gone = waitForExit(driver, first);
    process.kill(first, 'SIGKILL');
    await gone;
    expect(await upper(driver, 'again')).toBe('AGAIN');
    const second = driver.pid as number;
    expect(second).not.toBe(first);
    await driver.stop();
    expect(alive(second)).toBe(false);
  });
});
