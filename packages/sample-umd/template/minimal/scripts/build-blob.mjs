#!/usr/bin/env node
// Bundles the handler into dist/blobs/ before tsup runs: the loader imports the blob's
// manifest, so its SHA-256 is inlined into the package's code.
import { join } from 'node:path';
import { buildBlob } from '@umd/build';

const root = join(import.meta.dirname, '..');
const blob = await buildBlob({
  entry: join(root, 'src', 'handler.ts'),
  outDir: join(root, 'dist', 'blobs'),
  name: '__NAME__',
});
console.log(`blob ${blob.file}: sha256 ${blob.sha256}`);
