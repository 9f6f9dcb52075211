import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UmdError, UmdErrorCode } from '@umd/core';
import { collidingIdentifiers } from './identifiers.js';
import { tarballSpecs } from './local-packages.js';
import { driverNames } from './names.js';
import { driverPackageJson, type TemplateKind } from './package-json.js';
import { makeTargetDir, unusableTarget } from './target-dir.js';
import { PLACEHOLDERS, type TemplateManifest } from './template-source.js';
import { workspacePackageNamed, workspaceRootOf } from './workspace.js';

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
  /**
   * `full` (default): the whole sample renamed (contract, handler, loader, manager, command
   * line, selftest, tests); `minimal`: a handler, a loader, the host side and one test file.
   */
  template?: TemplateKind;
  /** Where the built template is (this package's `dist/template/`). */
  templateDir?: string;
  /**
   * Stops the generation: it rejects with the signal's reason (an `AbortError` from node:fs
   * while a file is read or written). Nothing is written once it is aborted; files written
   * before stay (the directory is the caller's to remove, as after any failure midway).
   */
  signal?: AbortSignal;
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
  /** Which template it was made from. */
  template: TemplateKind;
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
  const { signal } = options;
  signal?.throwIfAborted();
  const dir = resolve(options.dir);
  const root = workspaceRootOf(dir);
  const layout = options.layout ?? (root !== undefined ? 'workspace' : 'standalone');
  if (options.fromTarballs !== undefined && layout === 'workspace')
    throw generatorError('--from-tarballs is for a driver outside the umd repository');
  const local = options.fromTarballs === undefined ? undefined : tarballSpecs(options.fromTarballs);
  const template = options.template ?? 'full';
  const names = driverNames(options.name, layout === 'workspace' ? '@umd' : undefined);
  const namesake =
    layout === 'workspace' && root ? workspacePackageNamed(root, names.packageName) : undefined;
  if (namesake !== undefined && resolve(root!, 'packages', namesake) !== dir)
    throw generatorError(
      `${names.packageName} is already the name of packages/${namesake}: choose another name`,
    );
  const templateDir = options.templateDir ?? findTemplateDir();
  const manifest = JSON.parse(
    await readFile(join(templateDir, 'manifest.json'), { encoding: 'utf8', signal }),
  ) as TemplateManifest;

  const unusable = unusableTarget(dir);
  if (unusable !== undefined) throw generatorError(`${unusable}: choose another directory`);
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
    signal?.throwIfAborted();
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text, { mode, signal });
    written.push(file);
  };
  const files =
    template === 'minimal'
      ? [...manifest.minimalFiles, 'gitignore']
      : [
          ...manifest.files,
          ...(layout === 'workspace' ? manifest.workspaceFiles : manifest.standaloneFiles),
        ];
  const texts = await Promise.all(
    files.map((file) =>
      readFile(
        template === 'minimal' && file !== 'gitignore'
          ? join(templateDir, 'minimal', file)
          : join(templateDir, 'files', file),
        { encoding: 'utf8', signal },
      ),
    ),
  );
  const colliding = collidingIdentifiers(texts, fill);
  if (colliding.length > 0)
    throw generatorError(
      `${JSON.stringify(options.name)} would make the driver declare ${colliding.join(', ')}, which its code also imports from @umd/ packages: choose another name`,
    );
  signal?.throwIfAborted();
  await makeTargetDir(dir, (why) => generatorError(`${why}: choose another directory`));
  for (const [i, file] of files.entries()) {
    const text = texts[i] as string;
    if (file === 'gitignore') {
      if (layout === 'standalone') await write('.gitignore', text); // npm drops .gitignore from packages; hence the rename
    } else if (file === 'README.md') {
      await write(file, fill(selectLayout(text, layout)));
    } else {
      await write(file, fill(text));
    }
  }

  const packageJson = await driverPackageJson({ names, layout, template, manifest, local });
  if (template === 'full') await write(`bin/${names.name}.js`, binShim(names.name), 0o755);
  await write('package.json', `${JSON.stringify(packageJson, null, 2)}\n`);
  return {
    dir,
    packageName: names.packageName,
    name: names.name,
    layout,
    template,
    files: written.sort(),
  };
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
