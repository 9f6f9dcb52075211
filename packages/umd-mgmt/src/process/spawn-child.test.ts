import { once } from 'node:events';
import { chmod, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnRunning } from './spawn-child.js';

describe('spawnRunning', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const script = async () => {
    dir = await mkdtemp(join(tmpdir(), 'umd-spawn-'));
    const file = join(dir, 'run.sh');
    await writeFile(file, '#!/bin/sh\nexit 7\n');
    await chmod(file, 0o755);
    return file;
  };

  it('resolves once the process runs, rejects with the spawn error', async () => {
    const child = await spawnRunning(await script(), [], { stdio: 'ignore' });
    expect(child.pid).toBeGreaterThan(0);
    expect((await once(child, 'exit'))[0]).toBe(7);
    await expect(spawnRunning(join(dir!, 'missing'), [], { stdio: 'ignore' })).rejects.toThrow(
      /ENOENT/,
    );
  });

  it('tries an executable busy for writing (ETXTBSY) again, and gives up if it stays busy', async () => {
    const file = await script();
    const writer = await open(file, 'r+');
    const busy = spawnRunning(file, [], { stdio: 'ignore' });
    // The first attempt has failed by now; the retry comes after the writer closed.
    setImmediate(() => void writer.close());
    const child = await busy;
    expect((await once(child, 'exit'))[0]).toBe(7);
    const stuck = await open(file, 'r+');
    try {
      await expect(spawnRunning(file, [], { stdio: 'ignore' })).rejects.toMatchObject({
        code: 'ETXTBSY',
      });
    } finally {
      await stuck.close();
    }
  });
});
