import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { localOverrides, type UmdPackage } from './local-packages.js';
import type { DriverNames } from './names.js';
import type { TemplateManifest } from './template-source.js';

/** Which template a driver is made from: the whole sample, or a handful of files. */
export type TemplateKind = 'full' | 'minimal';

/** Dev tools the minimal template uses (the full one also has fast-check). */
const MINIMAL_TOOLS = ['@types/node', 'tsup', 'typescript', 'vitest'];

/**
 * The new driver's package.json. Runtime dependencies are `@umd/core` and `@umd/mgmt` only;
 * the build tools (`@umd/build`, which brings esbuild) are development dependencies, so a
 * host that installs the driver gets no bundler.
 */
export async function driverPackageJson(options: {
  names: DriverNames;
  layout: 'workspace' | 'standalone';
  template: TemplateKind;
  manifest: TemplateManifest;
  /** `file:` specs from `--from-tarballs`, instead of registry ranges. */
  local: Record<UmdPackage, string> | undefined;
}): Promise<Record<string, unknown>> {
  const { names, layout, template, manifest, local } = options;
  const range = async (dependency: UmdPackage): Promise<string> => {
    if (local !== undefined) return local[dependency];
    if (layout === 'workspace') return dependency === '@umd/build' ? 'workspace:*' : 'workspace:^';
    return dependency === '@umd/build'
      ? `^${manifest.buildVersion}`
      : `^${(await installedPackage(dependency)).version}`;
  };
  const tools = Object.entries(manifest.devDependencies).filter(
    ([tool]) => template === 'full' || MINIMAL_TOOLS.includes(tool),
  );
  const full = template === 'full';
  return {
    name: names.packageName,
    version: '0.1.0',
    description: `${names.pascal}: a user mode driver for Node.js, made with umd.`,
    license: 'MIT',
    keywords: ['user-mode-driver'],
    // The manager needs Linux (/proc, process groups).
    os: ['linux'],
    type: 'module',
    sideEffects: false,
    // A driver runs on the Node versions its runtime dependency is tested on.
    engines: { node: (await installedPackage('@umd/core')).engines.node },
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    ...(full ? { bin: { [names.name]: `./bin/${names.name}.js` } } : {}),
    files: full ? ['bin', 'dist'] : ['dist'],
    scripts: {
      build: full ? 'node scripts/build-blobs.mjs && tsup' : 'node scripts/build-blob.mjs && tsup',
      typecheck: 'tsc -p tsconfig.json',
      test: 'vitest run',
      ...(full ? { selftest: 'node dist/cli.js selftest' } : {}),
      // On its own, `npm install` builds it (and `npm pack` too); in the monorepo turbo does.
      ...(layout === 'standalone' ? { prepare: 'npm run build' } : {}),
    },
    dependencies: {
      '@umd/core': await range('@umd/core'),
      '@umd/mgmt': await range('@umd/mgmt'),
    },
    devDependencies: Object.fromEntries(
      [['@umd/build', await range('@umd/build')], ...(layout === 'workspace' ? [] : tools)].sort(
        ([a], [b]) => ((a as string) < (b as string) ? -1 : 1),
      ),
    ),
    ...(local === undefined ? {} : { overrides: localOverrides(local) }),
    ...(layout === 'standalone'
      ? {
          pnpm: {
            onlyBuiltDependencies: ['esbuild'],
            ...(local === undefined ? {} : { overrides: localOverrides(local) }),
          },
        }
      : {}),
  };
}

/** The package.json of a umd package this one runs with: a new driver depends on the same release line. */
async function installedPackage(
  dependency: string,
): Promise<{ version: string; engines: { node: string } }> {
  const path = createRequire(import.meta.url).resolve(`${dependency}/package.json`);
  return JSON.parse(await readFile(path, 'utf8'));
}
