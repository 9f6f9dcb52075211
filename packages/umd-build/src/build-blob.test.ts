import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TemporaryDirs } from '@umd/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBlob } from './build-blob.js';
import { recordBlob } from './record-blob.js';
import { sha256File } from './sha256-file.js';

const dirs = new TemporaryDirs();
/** A directory for one test's sources and outputs, removed after it. */
const workDir = (): Promise<string> => dirs.make('umd-build-test-');
afterEach(() => dirs.removeAll());

describe('buildBlob', () => {
  it('bundles an entry and its imports into one ESM file with a manifest holding its digest', async () => {
    const dir = await workDir();
    await writeFile(
      join(dir, 'greet.ts'),
      'export const greet = (n: string): string => `hi ${n}`;\n',
    );
    await writeFile(
      join(dir, 'entry.ts'),
      "import { greet } from './greet.js';\nprocess.stdout.write(greet('blob'));\n",
    );
    const result = await buildBlob({
      entry: join(dir, 'entry.ts'),
      outDir: join(dir, 'out'),
      name: 'greet',
    });
    // No top-level await: CommonJS, the faster format to start.
    expect(result.file).toBe(join(dir, 'out', 'greet.blob.cjs'));
    expect(result.sha256).toBe(await sha256File(result.file));
    expect(JSON.parse(await readFile(result.manifestFile, 'utf8'))).toEqual({
      name: 'greet',
      file: 'greet.blob.cjs',
      sha256: result.sha256,
    });
    expect(execFileSync(process.execPath, [result.file], { encoding: 'utf8' })).toBe('hi blob');
  });

  it('falls back to ESM for top-level await, keeps import.meta.url working in CJS, and keeps one file per name', async () => {
    const dir = await workDir();
    await writeFile(
      join(dir, 'tla.ts'),
      "await Promise.resolve();\nprocess.stdout.write(import.meta.url.startsWith('file:') ? 'esm' : 'no');\n",
    );
    await writeFile(
      join(dir, 'meta.ts'),
      "process.stdout.write(new URL('.', import.meta.url).protocol);\n",
    );
    const out = join(dir, 'out');
    const tla = await buildBlob({ entry: join(dir, 'tla.ts'), outDir: out, name: 'x' });
    expect(tla.file).toBe(join(out, 'x.blob.mjs'));
    expect(execFileSync(process.execPath, [tla.file], { encoding: 'utf8' })).toBe('esm');
    const meta = await buildBlob({ entry: join(dir, 'meta.ts'), outDir: out, name: 'x' });
    expect(meta.file).toBe(join(out, 'x.blob.cjs'));
    expect(execFileSync(process.execPath, [meta.file], { encoding: 'utf8' })).toBe('file:');
    expect((await readdir(out)).sort()).toEqual(['x.blob.cjs', 'x.blob.json']);
    expect(
      (await buildBlob({ entry: join(dir, 'meta.ts'), outDir: out, name: 'x', format: 'esm' }))
        .file,
    ).toBe(join(out, 'x.blob.mjs'));
    await expect(
      buildBlob({ entry: join(dir, 'tla.ts'), outDir: out, name: 'x', format: 'cjs' }),
    ).rejects.toMatchObject({ code: 'UMD_LOADER' });
  });

  it('computes import.meta.url of a CJS blob only when read: a blob that never reads it loads no node:url for it', async () => {
    const dir = await workDir();
    await writeFile(join(dir, 'plain.ts'), "process.stdout.write('plain');\n");
    // Logs every require() the blob's module makes (the banner's is one) to stderr.
    const watch = join(dir, 'watch-require.cjs');
    await writeFile(
      watch,
      "const M = require('node:module');\nconst r = M.prototype.require;\n" +
        'M.prototype.require = function (id) { process.stderr.write(`require ${id}\\n`); return r.call(this, id); };\n',
    );
    const blob = await buildBlob({
      entry: join(dir, 'plain.ts'),
      outDir: join(dir, 'out'),
      name: 'p',
    });
    const run = spawnSync(process.execPath, ['-r', watch, blob.file], { encoding: 'utf8' });
    expect(run.stdout).toBe('plain');
    expect(run.stderr).not.toContain('node:url');
  });

  it('embeds a source map: with --enable-source-maps a crash points at the source line', async () => {
    const dir = await workDir();
    await writeFile(
      join(dir, 'fail.ts'),
      'export function fail(what: string): never {\n  throw new Error(`broken ${what}`);\n}\n',
    );
    await writeFile(
      join(dir, 'entry.ts'),
      "import { fail } from './fail.js';\n\nconst n: number = 1;\nif (n > 0) fail('blob');\n",
    );
    const crash = (file: string, flags: string[]): string => {
      const run = spawnSync(process.execPath, [...flags, file], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      return run.stderr;
    };
    const mapped = await buildBlob({
      entry: join(dir, 'entry.ts'),
      outDir: join(dir, 'a'),
      name: 'm',
    });
    // The private copy the manager runs is elsewhere: the map must not depend on the blob's place.
    const moved = join(dir, 'moved.cjs');
    await copyFile(mapped.file, moved);
    const stack = crash(moved, ['--enable-source-maps']);
    expect(stack).toContain(`${join(dir, 'fail.ts')}:2`);
    expect(stack).toContain(`${join(dir, 'entry.ts')}:4`);
    expect(crash(moved, [])).not.toContain('fail.ts');
    const bare = await buildBlob({
      entry: join(dir, 'entry.ts'),
      outDir: join(dir, 'b'),
      name: 'm',
      sourcemap: false,
    });
    expect(await readFile(bare.file, 'utf8')).not.toContain('sourceMappingURL');
    expect(crash(bare.file, ['--enable-source-maps'])).not.toContain('fail.ts');
  });

  it('reports a broken entry as UMD_LOADER', async () => {
    const dir = await workDir();
    await writeFile(join(dir, 'entry.ts'), "import './missing.js';\n");
    await expect(
      buildBlob({ entry: join(dir, 'entry.ts'), outDir: dir, name: 'bad' }),
    ).rejects.toMatchObject({ code: 'UMD_LOADER' });
  });

  it('records a native blob digest beside it', async () => {
    const dir = await workDir();
    await writeFile(join(dir, 'tool'), 'abc');
    const result = await recordBlob({ file: join(dir, 'tool'), name: 'tool' });
    expect(result.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(JSON.parse(await readFile(join(dir, 'tool.blob.json'), 'utf8')).file).toBe('tool');
  });
});
