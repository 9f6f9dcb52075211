import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBlob } from './build-blob.js';
import { recordBlob } from './blob-manifest.js';
import { sha256File } from './sha256-file.js';

describe('buildBlob', () => {
  it('bundles an entry and its imports into one ESM file with a manifest holding its digest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'umd-build-test-'));
    await writeFile(join(dir, 'greet.ts'), 'export const greet = (n: string): string => `hi ${n}`;\n');
    await writeFile(join(dir, 'entry.ts'), "import { greet } from './greet.js';\nprocess.stdout.write(greet('blob'));\n");
    const result = await buildBlob({ entry: join(dir, 'entry.ts'), outDir: join(dir, 'out'), name: 'greet' });
    expect(result.file).toBe(join(dir, 'out', 'greet.blob.mjs'));
    expect(result.sha256).toBe(await sha256File(result.file));
    expect(JSON.parse(await readFile(result.manifestFile, 'utf8'))).toEqual({ name: 'greet', file: 'greet.blob.mjs', sha256: result.sha256 });
    expect(execFileSync(process.execPath, [result.file], { encoding: 'utf8' })).toBe('hi blob');
  });

  it('reports a broken entry as UMD_LOADER', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'umd-build-test-'));
    await writeFile(join(dir, 'entry.ts'), "import './missing.js';\n");
    await expect(buildBlob({ entry: join(dir, 'entry.ts'), outDir: dir, name: 'bad' })).rejects.toMatchObject({ code: 'UMD_LOADER' });
  });

  it('records a native blob digest beside it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'umd-build-test-'));
    await writeFile(join(dir, 'tool'), 'abc');
    const result = await recordBlob({ file: join(dir, 'tool'), name: 'tool' });
    expect(result.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(JSON.parse(await readFile(join(dir, 'tool.blob.json'), 'utf8')).file).toBe('tool');
  });
});
