import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UmdError, UmdErrorCode } from '@umd/core';
import { localOverrides, tarballSpecs, type UmdPackage } from './local-packages.js';
import { driverNames } from './names.js';
import { PLACEHOLDERS, type TemplateManifest } from './template-source.js';
import { workspaceRootOf } from './workspace.js';

/** Options of {@link generateDriver}. */
export interface GenerateDriverOptions {
  /** The new driver's name: `my-driver` or `@scope/my-driver`. */
  name: string;
  /** Directory of the new package; created, must be empty or missing unless `force`. */
  dir: string;
  /**
   * `workspace`: a package of the umd monorepo (`workspace:^` dependencies, the repository's
   * shared configs, `@umd/` scope by default); `standalone`: a package on its own (semver
   * ranges, its own configs and dev tools). Default: `workspace` when `dir` is directly under
   * the monorepo's `packages/`, else `standalone`.
   */
  layout?: 'workspace' | 'standalone';
  /** Write into a non-empty directory (existing files are overwritten). */
  force?: boolean;
  /**
   * A directory holding tarballs of `@umd/core`, `@umd/mgmt` and `@umd/build` (`npm pack`):
   * the new driver depends on them by `file:` (with overrides, so that one copy of each is
   * installed) instead of registry ranges. Standalone layout only.
   */
  fromTarballs?: string;
  /** Where the built template is (this package's `dist/template/`). */
  templateDir?: string;
}

/** What {@link generateDriver} made. */
export interface GeneratedDriver {
  /** Absolute directory of the new package. */
  dir: string;
  /** Its npm name. */
  packageName: string;
  /** The unscoped name: the bin, the handler's name. */
  name: string;
  /** Which layout it was made for (see {@link GenerateDriverOptions.layout}). */
  layout: 'workspace' | 'standalone';
  /** Files written, relative to `dir`. */
  files: string[];
}

/** An error of the generator (directory in the way, template missing): `UMD_INVALID_ARGUMENT`, the message says what to do. */
export function generatorError(message: string): UmdError {
  return new UmdError(UmdErrorCode.INVALID_ARGUMENT, message);
}

/**
 * Makes a new driver package from the template: the sample's contract, handler, loader,
 * manager, CLI, selftest and tests, renamed everywhere, with a README that walks from here to
 * the first request.
 */
export async function generateDriver(options: GenerateDriverOptions): Promise<GeneratedDriver> {
  const dir = resolve(options.dir);
  const layout =
    options.layout ?? (workspaceRootOf(dir) !== undefined ? 'workspace' : 'standalone');
  if (options.fromTarballs !== undefined && layout === 'workspace')
    throw generatorError('--from-tarballs is for a driver outside the umd repository');
  const local = options.fromTarballs === undefined ? undefined : tarballSpecs(options.fromTarballs);
  const names = driverNames(options.name, layout === 'workspace' ? '@umd' : undefined);
  const templateDir = options.templateDir ?? findTemplateDir();
  const manifest = JSON.parse(
    await readFile(join(templateDir, 'manifest.json'), 'utf8'),
  ) as TemplateManifest;

  if (existsSync(dir) && (await readdir(dir)).length > 0 && options.force !== true) {
    throw generatorError(`${dir} exists and is not empty (use --force to write into it anyway)`);
  }
  const fill = (text: string): string =>
    text
      .replaceAll(PLACEHOLDERS.packageName, names.packageName)
      .replaceAll(PLACEHOLDERS.name, names.name)
      .replaceAll(PLACEHOLDERS.pascal, names.pascal)
      .replaceAll(PLACEHOLDERS.constant, names.constant)
      .replaceAll(PLACEHOLDERS.base, layout === 'workspace' ? '../../' : './');

  const written: string[] = [];
  const write = async (file: string, text: string, mode = 0o644): Promise<void> => {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text, { mode });
    written.push(file);
  };
  const files = [
    ...manifest.files,
    ...(layout === 'workspace' ? manifest.workspaceFiles : manifest.standaloneFiles),
  ];
  for (const file of files) {
    const text = await readFile(join(templateDir, 'files', file), 'utf8');
    if (file === 'gitignore') {
      if (layout === 'standalone') await write('.gitignore', text); // npm drops .gitignore from packages; hence the rename
    } else if (file === 'README.md') {
      await write(file, fill(selectLayout(text, layout)));
    } else {
      await write(file, fill(text));
    }
  }

  const range = async (dependency: UmdPackage): Promise<string> => {
    if (local !== undefined) return local[dependency];
    if (layout === 'workspace') return dependency === '@umd/build' ? 'workspace:*' : 'workspace:^';
    return dependency === '@umd/build'
      ? `^${manifest.buildVersion}`
      : `^${await installedVersion(dependency)}`;
  };
  const packageJson = {
    name: names.packageName,
    version: '0.1.0',
    description: `${names.pascal}: a user mode driver for Node.js, made with umd.`,
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    // A driver runs on the Node versions its runtime dependency is tested on.
    engines: { node: (await installedPackage('@umd/core')).engines.node },
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    bin: { [names.name]: `./bin/${names.name}.js` },
    files: ['bin', 'dist'],
    scripts: {
      build: 'node scripts/build-blobs.mjs && tsup',
      typecheck: 'tsc -p tsconfig.json',
      test: 'vitest run',
      selftest: 'node dist/cli.js selftest',
      // On its own, `npm install` builds it (and `npm pack` too); in the monorepo turbo does.
      ...(layout === 'standalone' ? { prepare: 'npm run build' } : {}),
    },
    dependencies: {
      '@umd/core': await range('@umd/core'),
      '@umd/mgmt': await range('@umd/mgmt'),
    },
    // The build tools (esbuild through @umd/build) stay out of a host's install.
    devDependencies: sortKeys({
      '@umd/build': await range('@umd/build'),
      ...(layout === 'workspace' ? {} : manifest.devDependencies),
    }),
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
  await write(`bin/${names.name}.js`, binShim(names.name), 0o755);
  await write('package.json', `${JSON.stringify(packageJson, null, 2)}\n`);
  return { dir, packageName: names.packageName, name: names.name, layout, files: written.sort() };
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * The installed command: a committed file that imports the built CLI, so that a package
 * manager can link it before the first build (a bin in dist/ does not exist yet then).
 */
export function binShim(command: string): string {
  return `#!/usr/bin/env node\n// The installed \`${command}\` command; the CLI itself is built into dist/.\nimport '../dist/cli.js';\n`;
}

/** Keeps the README's parts for this layout: `<!-- workspace -->...<!-- /workspace -->` and the same for `standalone`. */
export function selectLayout(text: string, layout: 'workspace' | 'standalone'): string {
  const other = layout === 'workspace' ? 'standalone' : 'workspace';
  return text
    .replace(new RegExp(`<!-- ${other} -->[\\s\\S]*?<!-- /${other} -->\\n?`, 'g'), '')
    .replace(new RegExp(`<!-- /?${layout} -->\\n?`, 'g'), '');
}

/** The built template: `dist/template/` of this package, found from the built or the source module. */
function findTemplateDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    join(here, 'template'),
    join(here, '..', 'template'),
    join(here, '..', '..', 'dist', 'template'),
  ]) {
    if (existsSync(join(candidate, 'manifest.json'))) return candidate;
  }
  throw generatorError(
    'the template is missing: build this package first (pnpm --filter @umd/sample-umd build)',
  );
}

/** The package.json of a umd package this one runs with. */
async function installedPackage(
  dependency: string,
): Promise<{ version: string; engines: { node: string } }> {
  const path = createRequire(import.meta.url).resolve(`${dependency}/package.json`);
  return JSON.parse(await readFile(path, 'utf8'));
}

/** The version of a umd package this one runs with: a new driver depends on the same release line. */
async function installedVersion(dependency: string): Promise<string> {
  return (await installedPackage(dependency)).version;
}
