#!/usr/bin/env node
// Builds dist/template/ (the template for new drivers) from this package's own sources, after
// tsup: the sample is the template, there is no second copy of its code to keep in step.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTemplate } from '../dist/generator/template-source.js';

const packageDir = join(import.meta.dirname, '..');
const outDir = join(packageDir, 'dist', 'template');
await rm(outDir, { recursive: true, force: true });
const manifest = await buildTemplate({
  packageDir,
  repoRoot: join(packageDir, '..', '..'),
  outDir,
});
console.log(
  `template: ${manifest.files.length} files in dist/template/ (no trace of the sample's name left)`,
);
