// Build step 1 of 2 (step 2 is tsup): bundles the handler process (src/handler/main.ts) into
// ONE file, dist/blobs/bpfilter.blob.mjs, and records its SHA-256 in bpfilter.blob.json.
// src/loader.ts imports that JSON, so tsup inlines the digest into dist/loader.js: the package
// carries its handler and the digest it was built with, as a kernel module carries its blob.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildBlob } from '@umd/build';

const root = fileURLToPath(new URL('..', import.meta.url));
// tsup runs with clean: false (it would delete the blob); start from an empty dist here instead.
await rm(`${root}dist`, { recursive: true, force: true });
const blob = await buildBlob({
  entry: `${root}src/handler/main.ts`,
  outDir: `${root}dist/blobs`,
  name: 'bpfilter',
});
console.log(`bpfilter blob: ${blob.file} sha256 ${blob.sha256}`);
