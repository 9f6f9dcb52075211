// @ts-check
// Copies the benchmark results (gitignored, written by `pnpm bench` in each package) into
// data/, which is committed: the performance page's table and chart are generated from
// these files at build time. Run after a benchmark run: `pnpm --filter @umd/docs sync-bench`.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const docsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = [
  {
    from: resolve(docsRoot, '..', 'umd-core', 'bench-results', 'core.json'),
    to: join(docsRoot, 'data', 'core.json'),
  },
  {
    from: resolve(docsRoot, '..', 'umd-mgmt', 'bench-results', 'mgmt.json'),
    to: join(docsRoot, 'data', 'mgmt.json'),
  },
];

mkdirSync(join(docsRoot, 'data'), { recursive: true });
let copied = 0;
for (const { from, to } of SOURCES) {
  if (!existsSync(from)) {
    console.warn(`sync-bench: ${from} does not exist (run \`pnpm bench\` first); left as is`);
    continue;
  }
  JSON.parse(readFileSync(from, 'utf8')); // refuse to copy a broken file
  copyFileSync(from, to);
  copied++;
  console.log(`sync-bench: ${from} -> ${to}`);
}
if (copied === 0) process.exitCode = 1;
