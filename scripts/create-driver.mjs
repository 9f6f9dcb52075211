#!/usr/bin/env node
// `pnpm create-driver <name>`: builds the sample (the template) and what it depends on, saying
// so (the first build takes a while), then makes the new driver package under packages/.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const step = (cmd, args) => {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

console.error('create-driver: building the template (@umd/sample-umd and its dependencies)...');
step(join(root, 'node_modules', '.bin', 'turbo'), [
  'run',
  'build',
  '--filter=@umd/sample-umd',
  '--output-logs=hash-only',
]);
console.error('create-driver: making the driver package');
step(process.execPath, [
  join(root, 'packages', 'sample-umd', 'bin', 'sample-umd.js'),
  'new',
  '--workspace',
  ...process.argv.slice(2),
]);
