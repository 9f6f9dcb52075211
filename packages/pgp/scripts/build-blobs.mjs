#!/usr/bin/env node
// Builds the handler blob into dist/blobs/, before tsup runs: the loader imports the blob's
// manifest, so its SHA-256 is inlined into the package's code at build time.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBlob } from '@umd/build';

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'dist', 'blobs');
await rm(join(root, 'dist'), { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
const blob = await buildBlob({
  entry: join(root, 'src', 'handler', 'main.ts'),
  outDir,
  name: 'pgp',
});
console.log(`blob pgp (TypeScript, framed): sha256 ${blob.sha256}`);
