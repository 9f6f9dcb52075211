#!/usr/bin/env node
// Compiles the host's addon (native/umd_addon.c and its parts: the stdio socketpairs, the memory
// of large replies) into dist/native/umd_native.node (a Node-API addon: one build serves every
// Node from 20 on). Without a C compiler or Node-API headers the build says so and goes on: the
// channels then use the stdio pipes and the allocator Node has (the same bytes, slower;
// `NODE_DEBUG=umd` says which).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = [
  'umd_addon.c',
  'umd_socketpair.c',
  'umd_reply_memory.c',
  'umd_reply_reserve.c',
  'umd_write_now.c',
].map((file) => join(root, 'native', file));
const outDir = join(root, 'dist', 'native');
const output = join(outDir, 'umd_native.node');
const cc = process.env.CC || 'cc';
const skip = (why) => {
  console.warn(
    `build-native: WARNING: ${why}; ${output} was NOT built (stdio pipes and Node's allocator are used)`,
  );
  process.exit(0);
};

if (process.platform !== 'linux') skip(`the helper is Linux-only (platform ${process.platform})`);
// The headers of the Node running the build (official builds ship them); Node-API is the same
// C interface in every version.
const headers = join(dirname(process.execPath), '..', 'include', 'node');
if (!existsSync(join(headers, 'node_api.h'))) skip(`no Node-API headers in ${headers}`);
const probe = spawnSync(cc, ['--version'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) skip(`no C compiler (${cc}) found`);
mkdirSync(outDir, { recursive: true });
const args = [
  '-shared',
  '-fPIC',
  '-fvisibility=hidden',
  '-O2',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-I',
  headers,
  '-o',
  output,
  ...sources,
  '-lpthread',
];
const result = spawnSync(cc, args, { stdio: 'inherit' });
if (result.status !== 0) {
  console.error(`build-native: ${cc} ${args.join(' ')} failed`);
  process.exit(1);
}
// Checked before every load: a truncated or altered helper is refused instead of loaded (a
// truncated shared object kills the process that loads it).
const digest = createHash('sha256').update(readFileSync(output)).digest('hex');
writeFileSync(`${output}.sha256`, `${digest}\n`);
console.log(`build-native: ${output}`);
