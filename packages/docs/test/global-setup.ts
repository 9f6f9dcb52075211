// Builds the site before the tests when it is missing or older than its sources, so that
// `pnpm --filter @umd/docs test` works on its own (turbo's `test` also depends on `build`).
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DIST_DIR, DOCS_ROOT, newestMtime } from './site.js';

export default function setup(): void {
  const index = join(DIST_DIR, 'index.html');
  const builtAt = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = Math.max(
    newestMtime(
      join(DOCS_ROOT, 'src'),
      (rel) => rel.startsWith('api/') || rel.startsWith('parts/generated/'),
    ),
    newestMtime(
      join(DOCS_ROOT, '.vitepress'),
      (rel) => rel.startsWith('dist') || rel.startsWith('cache') || rel.startsWith('.temp'),
    ),
    newestMtime(join(DOCS_ROOT, 'data'), undefined, true),
  );
  if (builtAt > sources) return;
  console.log(
    'docs: building the site for the tests (the `build` script: prepare, then vitepress build)',
  );
  // The same two steps as the package's `build` script, without needing pnpm on PATH.
  execFileSync(process.execPath, ['scripts/prepare.mjs'], { cwd: DOCS_ROOT, stdio: 'inherit' });
  execFileSync(
    process.execPath,
    [join(DOCS_ROOT, 'node_modules', 'vitepress', 'bin', 'vitepress.js'), 'build'],
    { cwd: DOCS_ROOT, stdio: 'inherit' },
  );
}
