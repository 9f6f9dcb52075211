#!/usr/bin/env node
// Compiles the iptables preload library (native/bpfilter_preload.c, preload_service.c,
// preload_io.c and preload_procfs.c) into dist/native/bpfilter_preload.so, and enforcement's
// helpers, the counter reader (native/bpfilter_nft_counters.c), the batch writer
// (native/bpfilter_nft_batch.c) and the ipset lookup (native/bpfilter_ipset.c), into
// dist/native/. Without a C compiler the build says so and goes on: everything but `bpfilter
// exec` works, exec explains what is missing, and enforcement goes through `nft` instead
// (`nft -j -f`, `nft -j list`: slower) and sees no ipsets.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = [
  'bpfilter_preload.c',
  'preload_service.c',
  'preload_io.c',
  'preload_procfs.c',
  'preload_spare.c',
].map((file) => join(root, 'native', file));
const outDir = join(root, 'dist', 'native');
const output = join(outDir, 'bpfilter_preload.so');
const cc = process.env.CC || 'cc';
// umd_wire.h ships in @umd/core's package (native/), found as Node resolves @umd/core from here:
// in the workspace and in an installed package alike.
const wireDir = join(
  dirname(createRequire(import.meta.url).resolve('@umd/core/package.json')),
  'native',
);

if (process.platform !== 'linux') {
  console.warn(
    `build-native: skipped, the preload library is Linux-only (platform ${process.platform})`,
  );
  process.exit(0);
}
const probe = spawnSync(cc, ['--version'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) {
  console.warn(
    `build-native: WARNING: no C compiler (${cc}) found; dist/native/bpfilter_preload.so was NOT built, ` +
      '`bpfilter exec` and the iptables tests need it (install gcc and libc6-dev, then rebuild)',
  );
  process.exit(0);
}
if (!existsSync(join(wireDir, 'umd_wire.h'))) {
  console.error(`build-native: ${join(wireDir, 'umd_wire.h')} not found (is @umd/core installed?)`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
const args = [
  '-shared',
  '-fPIC',
  '-O2',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-I',
  wireDir,
  '-o',
  output,
  ...sources,
  '-ldl',
];
const result = spawnSync(cc, args, { stdio: 'inherit' });
if (result.status !== 0) {
  console.error(`build-native: ${cc} ${args.join(' ')} failed`);
  process.exit(1);
}
console.log(`build-native: ${output}`);

// Enforcement's helpers need only the kernel's uapi headers (linux-libc-dev): the counter
// reader, the batch writer and the ipset lookup.
for (const helper of ['bpfilter_nft_counters', 'bpfilter_nft_batch', 'bpfilter_ipset']) {
  const program = join(outDir, helper);
  const helperArgs = ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', '-o', program];
  helperArgs.push(join(root, 'native', `${helper}.c`));
  const built = spawnSync(cc, helperArgs, { stdio: 'inherit' });
  if (built.status !== 0) {
    console.error(`build-native: ${cc} ${helperArgs.join(' ')} failed`);
    process.exit(1);
  }
  console.log(`build-native: ${program}`);
}
