import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TemporaryDirs } from '@umd/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDriver } from './generate.js';

const temporary = new TemporaryDirs();
const scratch = () => temporary.makeSync('umd-generate-');
/** Every file under `dir`, relative to it. */
const listed = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
afterEach(() => temporary.removeAll());

/** Rejects with UMD_INVALID_ARGUMENT (a UmdError) whose message has every one of `words`. */
const refused = (promise: Promise<unknown>, ...words: string[]) =>
  expect(promise).rejects.toMatchObject({
    name: 'UmdError',
    code: 'UMD_INVALID_ARGUMENT',
    message: expect.stringMatching(new RegExp(words.join('.*'))),
  });

describe('generateDriver refuses, before writing anything', () => {
  it('a name whose classes are names the template imports (umd: UmdManager)', async () => {
    const dir = join(scratch(), 'umd');
    await refused(
      generateDriver({ name: 'umd', dir, layout: 'standalone' }),
      'UmdManager',
      'UmdManagerOptions',
    );
    expect(() => readdirSync(dir)).toThrow();
  });

  it('a directory that is a file, or under one', async () => {
    const file = join(scratch(), 'file');
    writeFileSync(file, 'x');
    await refused(generateDriver({ name: 'my-driver', dir: file }), 'not a directory');
    await refused(
      generateDriver({ name: 'my-driver', dir: join(file, 'my-driver') }),
      'not a directory',
    );
  });

  it('a place that cannot hold a new directory (under /proc: it used to spin forever)', async () => {
    for (const dir of ['/proc/my-driver', '/proc/x/my-driver'])
      await refused(generateDriver({ name: 'my-driver', dir }), '/proc is on proc', 'cannot hold');
  });

  it('a workspace package named as one the repository already has (core: @umd/core)', async () => {
    const root = scratch();
    writeFileSync(join(root, 'pnpm-workspace.yaml'), "packages:\n  - 'packages/*'\n");
    for (const [dir, name] of [
      ['umd-mgmt', '@umd/mgmt'],
      ['umd-core', '@umd/core'],
    ]) {
      mkdirSync(join(root, 'packages', dir as string), { recursive: true });
      writeFileSync(
        join(root, 'packages', dir as string, 'package.json'),
        JSON.stringify({ name }),
      );
    }
    const dir = join(root, 'packages', 'core');
    await refused(generateDriver({ name: 'core', dir }), '@umd/core', 'packages/umd-core');
    expect(() => readdirSync(dir)).toThrow();
  });
});

describe('generateDriver', () => {
  it('makes the minimal template for umd (it declares no class of that name)', async () => {
    const dir = join(scratch(), 'umd');
    const made = await generateDriver({
      name: 'umd',
      dir,
      template: 'minimal',
      layout: 'standalone',
    });
    expect(made.files).toContain('src/index.ts');
  });

  it('an aborted signal: rejects with its reason and writes nothing; aborted midway: stops writing', async () => {
    const dir = join(scratch(), 'aborted');
    const reason = new Error('stop');
    await expect(
      generateDriver({ name: 'my-driver', dir, signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    expect(() => readdirSync(dir)).toThrow();
    const controller = new AbortController();
    const midway = join(scratch(), 'midway');
    const run = generateDriver({ name: 'my-driver', dir: midway, signal: controller.signal });
    // Aborted once the directory exists: the writes still to come are not made.
    while (!existsSync(midway)) await new Promise((r) => setImmediate(r));
    controller.abort(reason);
    await expect(run).rejects.toSatisfy(
      (error: unknown) => error === reason || (error as Error).name === 'AbortError',
    );
    const whole = await generateDriver({ name: 'my-driver', dir: join(scratch(), 'whole') });
    expect(listed(midway).length).toBeLessThan(whole.files.length);
  });
});
