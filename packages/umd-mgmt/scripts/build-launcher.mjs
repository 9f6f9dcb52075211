#!/usr/bin/env node
// Compiles the handler launcher (native/umd_launcher.c) into dist/native/umd-launcher, with its
// SHA-256 beside it (checked before the manager runs it). Linked statically where the C library
// allows it (it spares the dynamic loader's work at every handler start), else dynamically.
// Without a C compiler the build says so and goes on: handlers then start through the chain of
// util-linux programs (`NODE_DEBUG=umd` says which).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'umd_launcher.c');
const outDir = join(root, 'dist', 'native');
const output = join(outDir, 'umd-launcher');
const cc = process.env.CC || 'cc';
const skip = (why) => {
  console.warn(
    `build-launcher: WARNING: ${why}; ${output} was NOT built (handlers start through setpriv, unshare and a shell)`,
  );
  process.exit(0);
};

// A stale launcher must not outlive a build that made none.
rmSync(output, { force: true });
rmSync(`${output}.sha256`, { force: true });
if (process.platform !== 'linux') skip(`the launcher is Linux-only (platform ${process.platform})`);
const probe = spawnSync(cc, ['--version'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) skip(`no C compiler (${cc}) found`);
mkdirSync(outDir, { recursive: true });
const common = ['-O2', '-Wall', '-Wextra', '-Werror', '-s', '-o', output, source];
const linked = spawnSync(cc, ['-static', ...common], { stdio: 'ignore' }).status === 0;
if (!linked) {
  const result = spawnSync(cc, common, { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build-launcher: ${cc} ${common.join(' ')} failed`);
    process.exit(1);
  }
}
// Owner read and execute, everyone else execute and read: never writable once built.
chmodSync(output, 0o555);
const digest = createHash('sha256').update(readFileSync(output)).digest('hex');
writeFileSync(`${output}.sha256`, `${digest}\n`);
console.log(`build-launcher: ${output} (${linked ? 'static' : 'dynamic'})`);
