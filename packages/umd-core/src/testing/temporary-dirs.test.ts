import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TemporaryDirs } from './temporary-dirs.js';

describe('TemporaryDirs', () => {
  it('makes new directories and removes them, with what they hold', async () => {
    const dirs = new TemporaryDirs();
    const a = await dirs.make('umd-tmp-test-');
    const b = dirs.makeSync('umd-tmp-test-', a);
    expect(a).not.toBe(b);
    expect(dirname(a)).toBe(tmpdir());
    expect(dirname(b)).toBe(a);
    await mkdir(join(b, 'deep'));
    await writeFile(join(b, 'deep', 'file'), 'x');
    await dirs.removeAll();
    expect(existsSync(a)).toBe(false);
    // Nothing is left to remove, and a second call is harmless.
    await dirs.removeAll();
  });

  it('removes synchronously too, and only what it made since the last removal', async () => {
    const dirs = new TemporaryDirs();
    const first = dirs.makeSync('umd-tmp-test-');
    dirs.removeAllSync();
    const second = await dirs.make('umd-tmp-test-');
    expect(existsSync(first)).toBe(false);
    expect(existsSync(second)).toBe(true);
    dirs.removeAllSync();
    expect(existsSync(second)).toBe(false);
  });
});
