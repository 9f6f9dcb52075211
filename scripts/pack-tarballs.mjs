#!/usr/bin/env node
// Packs the public packages as they would be published (`pnpm pack` turns workspace: ranges
// into versions) into one directory: what `sample-umd new --from-tarballs DIR` and a host
// that installs before the packages are on a registry use.
//   node scripts/pack-tarballs.mjs DIR     (pnpm pack:tarballs DIR; build first)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/** Directories under packages/ of everything published. */
export const PUBLIC_PACKAGES = [
  'umd-core',
  'umd-mgmt',
  'umd-build',
  'bpfilter',
  'pgp',
  'sample-umd',
];

/** pnpm as this script was started with it (`pnpm pack:tarballs`), else through npx. */
function pnpmCommand() {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: set by the package manager for this script, not a turbo task's input
  const execpath = process.env.npm_execpath;
  return execpath !== undefined && /pnpm\.c?js$/.test(execpath)
    ? [process.execPath, [execpath]]
    : ['npx', ['-y', 'pnpm@10']];
}

/** Packs every public package into `dir` (created); returns the tarballs' absolute paths. */
export function packTarballs(dir, { log = () => {} } = {}) {
  mkdirSync(dir, { recursive: true });
  for (const name of PUBLIC_PACKAGES) {
    const cwd = join(root, 'packages', name);
    log(`$ pnpm pack --pack-destination ${dir}   (in ${cwd})`);
    const [command, prefix] = pnpmCommand();
    execFileSync(command, [...prefix, 'pack', '--pack-destination', dir], {
      cwd,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return readdirSync(dir)
    .filter((file) => file.endsWith('.tgz'))
    .map((file) => join(dir, file));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2];
  if (dir === undefined || process.argv.length > 3) {
    console.error('usage: node scripts/pack-tarballs.mjs DIR');
    process.exit(2);
  }
  const files = packTarballs(resolve(dir));
  for (const file of files) console.log(file);
  // `npx @umd/sample-umd new` asks the registry for the generator and its dependencies:
  // before they are published, npx must be given the tarballs of all three.
  const tarball = (name) => files.find((file) => file.includes(`/umd-${name}-`));
  const generator = ['core', 'mgmt', 'sample-umd'].map((name) => `--package ${tarball(name)}`);
  console.error(
    `\nmake a driver from these tarballs (before the packages are on a registry):\n` +
      `  npx -y ${generator.join(' ')} sample-umd new my-driver --from-tarballs ${resolve(dir)}`,
  );
}
