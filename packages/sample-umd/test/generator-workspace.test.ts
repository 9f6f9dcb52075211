/**
 * The generator, end to end, in the workspace layout: a throwaway copy of this monorepo's
 * layout (root configs, pnpm workspace, the built @umd/core, @umd/mgmt and @umd/build as they
 * would be published), a driver generated with the same command `pnpm create-driver` runs,
 * then `pnpm install`, build, typecheck, test. (Apart from generator.test.ts so that the two
 * run at once.)
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  copyPublished,
  pnpm,
  repoRoot,
  run,
  sampleLeftovers,
  temporaryDir,
  UNTIMED,
} from './generator-helpers.js';
import { CLI } from './helpers.js';

describe('generator, workspace layout', () => {
  it(
    'makes a workspace driver (pnpm create-driver) that installs, builds, typechecks and passes its own tests',
    () => {
      const ws = temporaryDir('umd-gen-ws-');
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
    },
    UNTIMED,
  );
});
