#!/usr/bin/env node
// Builds the handler blobs into dist/blobs/, before tsup runs: the loaders import the blob
// manifests, so each blob's SHA-256 is inlined into the package's code at build time.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBlob } from '@umd/build';
// #region sample-only
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { recordBlob } from '@umd/build';
// #endregion

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'dist', 'blobs');
await rm(join(root, 'dist'), { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

const ts = await buildBlob({
  entry: join(root, 'src', 'handler', 'main.ts'),
  outDir,
  name: 'sample',
});
console.log(`blob sample (TypeScript, framed): sha256 ${ts.sha256}`);
// #region sample-only

// The C handler: compiled with the system's C compiler. Without one, the package still builds
// and the TypeScript handler still works; the C loader then explains what is missing.
const cc = process.env.CC || 'cc';
const executable = join(outDir, 'sample_handler');
// umd_wire.h (read/write loops, little-endian helpers) ships in @umd/core's native/.
const wireHeaders = join(
  dirname(createRequire(import.meta.url).resolve('@umd/core/package.json')),
  'native',
);
const compiled = spawnSync(
  cc,
  [
    '-std=c11',
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-I',
    wireHeaders,
    '-o',
    executable,
    join(root, 'native', 'sample_handler.c'),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
if (compiled.error && compiled.error.code === 'ENOENT') {
  const unavailable = `no C compiler found (tried ${JSON.stringify(cc)}): install gcc or clang, or set CC, then rebuild`;
  const manifest = { name: 'sample-c', file: null, sha256: null, unavailable };
  await writeFile(join(outDir, 'sample-c.blob.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.warn(
    `\n*** C handler NOT built: ${unavailable}.\n*** Everything else is built; the C handler's tests are skipped (they fail when CI=true).\n`,
  );
} else if (compiled.error || compiled.status !== 0) {
  console.error(
    `compiling native/sample_handler.c with ${cc} failed`,
    compiled.error ?? `(exit status ${compiled.status})`,
  );
  process.exit(1);
} else {
  const c = await recordBlob({ file: executable, name: 'sample-c' });
  // A native blob runs only where it was compiled: say where, so the loader can refuse clearly elsewhere.
  const manifest = JSON.parse(await readFile(c.manifestFile, 'utf8'));
  await writeFile(
    c.manifestFile,
    `${JSON.stringify({ ...manifest, platform: process.platform, arch: process.arch }, null, 2)}\n`,
  );
  console.log(`blob sample-c (C, raw, ${process.platform}-${process.arch}): sha256 ${c.sha256}`);
}
// #endregion
