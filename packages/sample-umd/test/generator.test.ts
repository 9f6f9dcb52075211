/**
 * The generator, end to end: a new driver is generated, installed, built and tested like a
 * user would, in temporary directories that leave the real workspace alone:
 *  - workspace layout: a throwaway copy of this monorepo's layout (root configs, pnpm
 *    workspace, the built @umd/core and @umd/mgmt as they would be published), generated with
 *    the same command `pnpm create-driver` runs, then `pnpm install`, build, typecheck, test;
 *  - standalone layout (what `npx @umd/sample-umd new` makes outside the repo): semver ranges
 *    by default; with `--from-tarballs` the tarballs of the local @umd packages (`pnpm pack`),
 *    installed with pnpm (check:packages does the same with npm).
 * Both check that no trace of the sample's name is left (grep).
 */
import { execFileSync, type ExecFileSyncOptions, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(packageDir, '..', '..');
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** pnpm as the test was started with it (CI runs `npx pnpm@10`), else from PATH. */
function pnpm(args: string[], cwd: string): string {
  const execpath = process.env.npm_execpath;
  const [command, prefix] =
    execpath !== undefined && /pnpm\.c?js$/.test(execpath)
      ? [process.execPath, [execpath]]
      : ['pnpm', []];
  return run(command, [...prefix, ...args], cwd);
}

function run(
  command: string,
  args: string[],
  cwd: string,
  options: ExecFileSyncOptions = {},
): string {
  // A clean environment of our own: no INIT_CWD or npm_* pointing back into the real workspace.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|INIT_CWD$|PNPM_|VITEST)/i.test(key)),
  );
  try {
    return execFileSync(command, args, {
      cwd,
      env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
      encoding: 'utf8',
      stdio: 'pipe',
      ...options,
    }) as string;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`,
    );
  }
}

/** Files of the generated package (not dependencies, not build output) that mention the sample. */
function sampleLeftovers(dir: string): string {
  const grep = spawnSync(
    'grep',
    ['-rIil', 'sample', '--exclude-dir=node_modules', '--exclude-dir=dist', '.'],
    { cwd: dir, encoding: 'utf8' },
  );
  if (grep.status === 1) return ''; // grep's "nothing found"
  if (grep.status === 0) return grep.stdout;
  throw new Error(`grep failed: ${grep.stderr}`);
}

/** Copies a built package as it would be published: package.json and its `files`. */
function copyPublished(name: string, into: string): void {
  const from = join(repoRoot, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { files?: string[] };
  mkdirSync(join(into, name), { recursive: true });
  cpSync(join(from, 'package.json'), join(into, name, 'package.json'));
  for (const entry of pkg.files ?? [])
    cpSync(join(from, entry), join(into, name, entry), { recursive: true });
}

describe('generator', () => {
  it('makes a workspace driver (pnpm create-driver) that installs, builds, typechecks and passes its own tests', () => {
    const ws = mkdtempSync(join(tmpdir(), 'umd-gen-ws-'));
    temporary.push(ws);
    const rootPackage = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const tools = ['@types/node', 'fast-check', 'tsup', 'typescript', 'vitest'];
    writeFileSync(
      join(ws, 'package.json'),
      JSON.stringify({
        name: 'umd-generator-test',
        private: true,
        type: 'module',
        devDependencies: Object.fromEntries(
          tools.map((tool) => [tool, rootPackage.devDependencies[tool]]),
        ),
        pnpm: { onlyBuiltDependencies: ['esbuild'] },
      }),
    );
    for (const file of ['pnpm-workspace.yaml', 'tsconfig.base.json', 'tsup.config.base.ts'])
      cpSync(join(repoRoot, file), join(ws, file));
    copyPublished('umd-core', join(ws, 'packages'));
    copyPublished('umd-mgmt', join(ws, 'packages'));
    copyPublished('umd-build', join(ws, 'packages'));

    // What `pnpm create-driver probe-driver` runs at the root.
    const said = run(process.execPath, [CLI, 'new', '--workspace', 'probe-driver'], ws);
    expect(said).toMatch(/made @umd\/probe-driver in packages\/probe-driver \(workspace layout/);
    const dir = join(ws, 'packages', 'probe-driver');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(pkg).toMatchObject({
      name: '@umd/probe-driver',
      bin: { 'probe-driver': './bin/probe-driver.js' },
    });
    expect(pkg.dependencies).toEqual({ '@umd/core': 'workspace:^', '@umd/mgmt': 'workspace:^' });
    expect(pkg.devDependencies).toEqual({ '@umd/build': 'workspace:*' });
    expect(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).toContain(
      '"../../tsconfig.base.json"',
    );
    expect(readFileSync(join(dir, 'src', 'manager.ts'), 'utf8')).toContain(
      'export function createProbeDriverManager(',
    );
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(
      'pnpm --filter @umd/probe-driver build',
    );
    expect(sampleLeftovers(dir)).toBe('');

    pnpm(['install', '--prefer-offline', '--no-frozen-lockfile'], ws);
    pnpm(['--filter', '@umd/probe-driver', 'build'], ws);
    pnpm(['--filter', '@umd/probe-driver', 'typecheck'], ws);
    const tests = pnpm(['--filter', '@umd/probe-driver', 'test'], ws);
    expect(tests).toMatch(/Tests\s+\d+ passed/);
    expect(tests).not.toMatch(/failed|skipped/);
    expect(run(process.execPath, ['dist/cli.js', '4096'], dir)).toBe('ok 4096\n');
    expect(sampleLeftovers(dir)).toBe('');
  }, 300_000);

  it('makes a standalone driver (npx @umd/sample-umd new) with semver ranges, that installs, builds and answers', () => {
    const outside = mkdtempSync(join(tmpdir(), 'umd-gen-alone-'));
    temporary.push(outside);
    // The @umd packages as published (pnpm pack turns workspace:^ into versions); an override
    // stands in for a registry that holds them.
    const tarballs = join(outside, 'tarballs');
    for (const name of ['umd-core', 'umd-mgmt', 'umd-build'])
      pnpm(['pack', '--pack-destination', tarballs], join(repoRoot, 'packages', name));
    const tarball = (name: string): string =>
      `file:${join(tarballs, readdirSync(tarballs).find((file) => file.startsWith(`umd-${name}-`)) as string)}`;

    // The default: registry ranges.
    run(process.execPath, [CLI, 'new', '@acme/registry-driver'], outside);
    const registry = JSON.parse(
      readFileSync(join(outside, 'registry-driver', 'package.json'), 'utf8'),
    ) as Record<string, Record<string, unknown>>;
    expect(registry.dependencies).toEqual({ '@umd/core': '^0.1.0', '@umd/mgmt': '^0.1.0' });
    expect(registry.devDependencies?.['@umd/build']).toBe('^0.1.0');
    expect(registry.overrides).toBeUndefined();

    const said = run(
      process.execPath,
      [CLI, 'new', '@acme/probe-driver', '--from-tarballs', tarballs],
      outside,
    );
    expect(said).toMatch(/made @acme\/probe-driver in probe-driver \(standalone layout/);
    const dir = join(outside, 'probe-driver');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(pkg.dependencies).toEqual({
      '@umd/core': tarball('core'),
      '@umd/mgmt': tarball('mgmt'),
    });
    const local = { ...pkg.dependencies, '@umd/build': tarball('build') };
    expect(pkg.overrides).toEqual(local);
    expect(pkg.pnpm).toEqual({ onlyBuiltDependencies: ['esbuild'], overrides: local });
    expect(Object.keys(pkg.devDependencies ?? {})).toEqual([
      '@types/node',
      '@umd/build',
      'fast-check',
      'tsup',
      'typescript',
      'vitest',
    ]);
    expect(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).toContain('"./tsconfig.base.json"');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('node_modules');
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('cd probe-driver\n');
    expect(readme).not.toContain('pnpm --filter');
    expect(sampleLeftovers(dir)).toBe('');

    // Installing builds it (its prepare script).
    pnpm(['install', '--prefer-offline', '--no-frozen-lockfile', '--ignore-workspace'], dir);
    expect(run(process.execPath, ['dist/cli.js', '0', '130048'], dir)).toBe('ok 0\nok 130048\n');
    expect(sampleLeftovers(dir)).toBe('');
  }, 300_000);

  it('makes a minimal driver: a handful of files, no bin, the same runtime dependencies', () => {
    const outside = mkdtempSync(join(tmpdir(), 'umd-gen-minimal-'));
    temporary.push(outside);
    const said = run(process.execPath, [CLI, 'new', 'tiny-driver', '--minimal'], outside);
    expect(said).toMatch(
      /made tiny-driver in tiny-driver \(standalone layout, minimal template, 11 files\)/,
    );
    const dir = join(outside, 'tiny-driver');
    expect(readdirSync(dir, { recursive: true }).map(String).sort()).toEqual([
      '.gitignore',
      'README.md',
      'package.json',
      'scripts',
      'scripts/build-blob.mjs',
      'src',
      'src/blob-manifest.d.ts',
      'src/handler.ts',
      'src/index.ts',
      'src/loader.ts',
      'test',
      'test/driver.test.ts',
      'tsconfig.json',
      'tsup.config.ts',
    ]);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    expect(pkg.dependencies).toEqual({ '@umd/core': '^0.1.0', '@umd/mgmt': '^0.1.0' });
    expect(Object.keys(pkg.devDependencies ?? {})).toEqual([
      '@types/node',
      '@umd/build',
      'tsup',
      'typescript',
      'vitest',
    ]);
    expect(pkg.bin).toBeUndefined();
    expect(pkg.scripts?.build).toBe('node scripts/build-blob.mjs && tsup');
    expect(readFileSync(join(dir, 'src', 'index.ts'), 'utf8')).toContain(
      'export function createTinyDriverManager(',
    );
    expect(readFileSync(join(dir, 'src', 'handler.ts'), 'utf8')).toContain("name: 'tiny-driver'");
    expect(sampleLeftovers(dir)).toBe('');
  });

  it('refuses a bad name or a directory in the way, with status 2', () => {
    const outside = mkdtempSync(join(tmpdir(), 'umd-gen-bad-'));
    temporary.push(outside);
    writeFileSync(join(outside, 'taken'), 'x');
    for (const args of [
      ['new', 'Bad_Name'],
      ['new', 'fine-name', '.'],
      ['new', '--workspace', 'fine-name'],
      ['new', 'fine-name', '--from-tarballs', 'no-such-dir'],
      ['new', 'fine-name', '--from-tarballs', '.'],
    ]) {
      let status = 0;
      let stderr = '';
      try {
        execFileSync(process.execPath, [CLI, ...args], { cwd: outside, stdio: 'pipe' });
      } catch (error) {
        ({ status } = error as { status: number });
        stderr = String((error as { stderr: Buffer }).stderr);
      }
      expect(status).toBe(2);
      expect(stderr).toMatch(/^new: /);
    }
  });
});
