import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUmdError, UmdErrorCode } from '@umd/core';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDriver } from './generate.js';

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'umd-generate-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isUmdError(error, UmdErrorCode.INVALID_ARGUMENT), String(error)).toBe(true);
  return (error as Error).message;
}

describe('generateDriver refuses, before writing anything', () => {
  it('a name whose classes are names the template imports (umd: UmdManager)', async () => {
    const dir = join(scratch(), 'umd');
    const message = await refusal(generateDriver({ name: 'umd', dir, layout: 'standalone' }));
    expect(message).toContain('UmdManager');
    expect(message).toContain('UmdManagerOptions');
    expect(() => readdirSync(dir)).toThrow();
  });

  it('a directory that is a file, or under one', async () => {
    const file = join(scratch(), 'file');
    writeFileSync(file, 'x');
    expect(await refusal(generateDriver({ name: 'my-driver', dir: file }))).toContain(
      'not a directory',
    );
    expect(
      await refusal(generateDriver({ name: 'my-driver', dir: join(file, 'my-driver') })),
    ).toContain('not a directory');
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
});
