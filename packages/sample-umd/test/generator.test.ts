/**
 * The generator, end to end, in the standalone layout (what `npx @umd/sample-umd new` makes
 * outside the repo): semver ranges by default; with `--from-tarballs` the tarballs of the
 * local @umd packages (`pnpm pack`), installed with pnpm (check:packages does the same with
 * npm); the minimal template; refusals. The workspace layout is in generator-workspace.test.ts.
 * Each checks that no trace of the sample's name is left (grep).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  pnpm,
  repoRoot,
  run,
  sampleLeftovers,
  temporaryDir,
  UNTIMED,
} from './generator-helpers.js';
import { CLI } from './helpers.js';

describe('generator', () => {
  it(
    'makes a standalone driver (npx @umd/sample-umd new) with semver ranges, that installs, builds and answers',
    () => {
      const outside = temporaryDir('umd-gen-alone-');
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
    },
    UNTIMED,
  );

  it('makes a minimal driver: a handful of files, no bin, the same runtime dependencies', () => {
    const outside = temporaryDir('umd-gen-minimal-');
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

  // Found by trying it: under /proc, Node 20's recursive mkdir looped forever.
  it('refuses, at once and with status 2, a place that cannot hold a new directory', () => {
    const outside = temporaryDir('umd-gen-place-');
    const readOnly = join(outside, 'read-only');
    mkdirSync(readOnly);
    writeFileSync(join(outside, 'file'), 'x');
    const root = process.getuid?.() === 0;
    // Root writes anywhere its filesystem lets it: a read-only mount of its own, then.
    if (!root) chmodSync(readOnly, 0o555);
    const cli = (args: string[]) =>
      root && args.at(-1)!.startsWith(readOnly)
        ? ([
            'unshare',
            [
              '-m',
              'sh',
              '-c',
              'mount -t tmpfs -o ro none "$0" && exec "$@"',
              readOnly,
              process.execPath,
              CLI,
              ...args,
            ],
          ] as const)
        : ([process.execPath, [CLI, ...args]] as const);
    for (const [dir, says] of [
      ['/proc/x', /\/proc is on proc, a kernel interface that cannot hold a new directory/],
      ['/proc/x/y', /\/proc is on proc/],
      [join(outside, 'file', 'driver'), /file exists and is not a directory/],
      [
        join(readOnly, 'driver'),
        /read-only cannot hold a new directory \((a read-only filesystem|EACCES)\)/,
      ],
    ] as const) {
      const [command, args] = cli(['new', 'fine-name', dir]);
      const done = spawnSync(command, args, { cwd: outside, encoding: 'utf8', timeout: 20_000 });
      expect([dir, done.status]).toEqual([dir, 2]);
      expect(done.stderr).toMatch(/^new: /);
      expect(done.stderr).toMatch(says);
    }
    expect(readdirSync(readOnly)).toEqual([]);
  });

  it('refuses a bad name or a directory in the way, with status 2', () => {
    const outside = temporaryDir('umd-gen-bad-');
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
