#!/usr/bin/env node
// Checks what we publish, as a user receives it: publint and are-the-types-wrong on each
// public package, then `pnpm pack` (which rewrites workspace: ranges), a plain `npm install`
// of the tarballs into a fresh directory outside the workspace, and a small host and
// handler run from the installed packages only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const publicPackages = ['umd-core', 'umd-mgmt', 'bpfilter', 'sample-umd'];
const run = (cmd, args, cwd) => {
  console.log(`$ ${cmd} ${args.join(' ')}   (in ${cwd})`);
  execFileSync(cmd, args, { cwd, stdio: 'inherit' });
};
const bin = (name) => join(root, 'node_modules', '.bin', name);

const work = mkdtempSync(join(tmpdir(), 'umd-pack-'));
try {
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const dir of publicPackages) {
    const cwd = join(root, 'packages', dir);
    run(bin('publint'), ['--strict'], cwd);
    run('pnpm', ['pack', '--pack-destination', tarballs], cwd);
  }
  for (const file of readdirSync(tarballs)) {
    run(bin('attw'), ['--profile', 'esm-only', join(tarballs, file)], root);
  }

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'umd-consumer', private: true, type: 'module' }),
  );
  const files = readdirSync(tarballs).map((file) => join(tarballs, file));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], app);

  writeFileSync(
    join(app, 'handler.mjs'),
    `import { serve } from '@umd/core/handler';
await serve((payload) => payload.slice().reverse(), { name: 'reverse' });
`,
  );
  writeFileSync(
    join(app, 'host.mjs'),
    `import { buildBlob } from '@umd/mgmt/build';
import { defineLoader, UmdManager } from '@umd/mgmt';
const blob = await buildBlob({ entry: './handler.mjs', outDir: './blobs', name: 'reverse' });
const manager = new UmdManager({
  name: 'reverse',
  loader: async () => defineLoader({ name: 'reverse', mode: 'framed', script: blob.file, sha256: blob.sha256 }),
});
const reply = await manager.request(new TextEncoder().encode('stressed'));
const text = new TextDecoder().decode(reply);
await manager.stop();
if (text !== 'desserts') throw new Error('unexpected reply: ' + text);
console.log('host and handler from the packed packages: ok (' + text + ')');
`,
  );
  run('node', ['host.mjs'], app);
  run('npx', ['--no-install', 'sample-umd', '0', '4096', '131071'], app);
  console.log('packages: ok');
} finally {
  rmSync(work, { recursive: true, force: true });
}
