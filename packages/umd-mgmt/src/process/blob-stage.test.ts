import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUmdError } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../build/sha256-file.js';
import { defineLoader } from '../loader/define-loader.js';
import { stageBlob } from './blob-stage.js';

async function blob(content: string) {
  const dir = await mkdtemp(join(tmpdir(), 'umd-stage-test-'));
  const file = join(dir, 'x.blob.mjs');
  await writeFile(file, content);
  return file;
}

describe('stageBlob', () => {
  it('copies a verified blob into a 0700 directory as a 0500 file and removes it', async () => {
    const file = await blob('export {};\n');
    const staged = await stageBlob(
      defineLoader({
        name: 'x',
        mode: 'framed',
        script: file,
        sha256: sha256Hex(Buffer.from('export {};\n')),
      }),
    );
    expect((await stat(staged.dir)).mode & 0o777).toBe(0o700);
    expect((await stat(staged.file)).mode & 0o777).toBe(0o500);
    expect(await readFile(staged.file, 'utf8')).toBe('export {};\n');
    await staged.remove();
    await staged.remove();
    await expect(stat(staged.dir)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a blob whose digest does not match, writing nothing', async () => {
    const file = await blob('export {};\n');
    const stagingDir = await mkdtemp(join(tmpdir(), 'umd-stage-parent-'));
    const loader = defineLoader({
      name: 'x',
      mode: 'framed',
      script: file,
      sha256: sha256Hex(Buffer.from('export {}\n')),
    });
    await expect(stageBlob(loader, { stagingDir })).rejects.toSatisfy((e) =>
      isUmdError(e, 'UMD_BLOB_INTEGRITY'),
    );
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(stagingDir)).toEqual([]);
  });

  it('reports a missing blob as UMD_START_FAILED', async () => {
    const loader = defineLoader({
      name: 'x',
      mode: 'framed',
      script: '/nonexistent/x.mjs',
      sha256: 'a'.repeat(64),
    });
    await expect(stageBlob(loader)).rejects.toSatisfy((e) => isUmdError(e, 'UMD_START_FAILED'));
  });
});
