/**
 * Turns the sample's own sources into the template for new drivers, at build time, so that
 * there is one copy of the code: the sample is the template. Three steps per file:
 *  1. drop the blocks between `// #region sample-only` and `// #endregion` (the C handler,
 *     the generator, the demo: things a new driver does not start with);
 *  2. replace every spelling of the sample's name by a placeholder;
 *  3. refuse the result if any trace of the sample's name is left, or if a placeholder
 *     would make an invalid identifier.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/** Files of this package that a new driver starts with (paths relative to the package). Its package.json is written by the generator. */
export const TEMPLATE_FILES: readonly string[] = [
  'tsconfig.json',
  'tsup.config.ts',
  'vitest.config.ts',
  'scripts/build-blobs.mjs',
  'src/index.ts',
  'src/blob-manifest.d.ts',
  'src/contract.ts',
  'src/contract.test.ts',
  'src/handler/main.ts',
  'src/handlers.ts',
  'src/loaders/ts.ts',
  'src/manager.ts',
  'src/selftest.ts',
  'src/cli.ts',
  'src/cli/args.ts',
  'src/cli/args.test.ts',
  'src/cli/lines.ts',
  'src/cli/lines.test.ts',
  'src/cli/parse-offset.ts',
  'src/cli/parse-offset.test.ts',
  'src/cli/run-checks.ts',
  'test/manager.test.ts',
  'test/selftest.test.ts',
  'test/cli.test.ts',
  'test/helpers.ts',
];

/** Files only for a package that lives on its own: copies of the repository's shared base configs. */
export const STANDALONE_FILES: readonly string[] = ['tsconfig.base.json', 'tsup.config.base.ts'];

/** Files only for a package of the monorepo: its turbo settings (typecheck needs the package's own build). */
export const WORKSPACE_FILES: readonly string[] = ['turbo.json'];

/** Placeholders of the template, filled in by the generator. */
export const PLACEHOLDERS = {
  packageName: '__PACKAGE_NAME__',
  name: '__NAME__',
  pascal: '__PASCAL__',
  constant: '__CONSTANT__',
  /** Where the shared base configs are: `../../` inside the monorepo, `./` on its own. */
  base: '__BASE__/',
} as const;

const REGION_START = /^\s*\/\/ #region sample-only\s*$/;
const REGION_END = /^\s*\/\/ #endregion\s*$/;

/** Drops the sample-only blocks. Throws on a nested or unclosed block. */
export function stripSampleOnly(text: string, file: string): string {
  const kept: string[] = [];
  let openedAt = 0;
  text.split('\n').forEach((line, index) => {
    if (REGION_START.test(line)) {
      if (openedAt !== 0)
        throw new Error(
          `${file}:${index + 1}: sample-only block inside another (opened at line ${openedAt})`,
        );
      openedAt = index + 1;
    } else if (openedAt !== 0 && REGION_END.test(line)) {
      openedAt = 0;
    } else if (openedAt === 0) {
      kept.push(line);
    }
  });
  if (openedAt !== 0) throw new Error(`${file}:${openedAt}: sample-only block is never closed`);
  return kept.join('\n');
}

/** Replaces every spelling of the sample's name by its placeholder. */
export function placeholdNames(text: string): string {
  return text
    .replaceAll('@umd/sample-umd', PLACEHOLDERS.packageName)
    .replaceAll('sample-umd', PLACEHOLDERS.name)
    .replaceAll('Sample', PLACEHOLDERS.pascal)
    .replaceAll('SAMPLE', PLACEHOLDERS.constant)
    .replaceAll('sample', PLACEHOLDERS.name)
    .replaceAll("'../../tsup.config.base.js'", `'${PLACEHOLDERS.base}tsup.config.base.js'`)
    .replaceAll('"../../tsconfig.base.json"', `"${PLACEHOLDERS.base}tsconfig.base.json"`);
}

// A kebab-case name is no identifier: `__NAME__` may only stand where a dash or a dot fits.
const NAME_IN_IDENTIFIER = /[\w$]__NAME__|__NAME__(?:[\w$]|\.(?!blob\b))/;

/** What is wrong with a template file: leftovers of the sample, names that would break the code. */
export function templateProblems(text: string, file: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    if (/sample/i.test(line)) problems.push(`${where}: the sample's name is left: ${line.trim()}`);
    if (NAME_IN_IDENTIFIER.test(line))
      problems.push(`${where}: the driver name would sit inside an identifier: ${line.trim()}`);
    if (/#(?:end)?region\b/.test(line))
      problems.push(`${where}: a region marker is left: ${line.trim()}`);
  });
  return problems;
}

/** Turns one source file into its template. Throws with every problem found. */
export function toTemplate(text: string, file: string): string {
  const template = placeholdNames(stripSampleOnly(text, file));
  const problems = templateProblems(template, file);
  if (problems.length > 0)
    throw new Error(`cannot make a template of ${file}:\n  ${problems.join('\n  ')}`);
  return template;
}

/** What the generator reads beside the template files. */
export interface TemplateManifest {
  /** Template files, relative paths, in the new driver's layout. */
  files: string[];
  /** Extra files for a driver outside the monorepo (shared base configs). */
  standaloneFiles: string[];
  /** Extra files for a driver inside the monorepo. */
  workspaceFiles: string[];
  /** The monorepo's dev tools and their versions, for a driver outside it. */
  devDependencies: Record<string, string>;
  /** Files of the minimal template (in `minimal/`), relative paths in the new driver's layout. */
  minimalFiles: string[];
  /** The version of `@umd/build` beside this template (a dev dependency of this package, so not installed with it). */
  buildVersion: string;
}

/** Dev tools a driver needs on its own; inside the monorepo its root provides them. */
const DEV_TOOLS = ['@types/node', 'fast-check', 'tsup', 'typescript', 'vitest'];

/**
 * Writes the template into `outDir`: the files of {@link TEMPLATE_FILES} from `packageDir`,
 * the repository's base configs and the extra hand-written files (README, gitignore) from
 * `packageDir/template/`, and `manifest.json`.
 */
export async function buildTemplate(options: {
  packageDir: string;
  repoRoot: string;
  outDir: string;
}): Promise<TemplateManifest> {
  const { packageDir, repoRoot, outDir } = options;
  const write = async (file: string, text: string): Promise<void> => {
    await mkdir(dirname(join(outDir, 'files', file)), { recursive: true });
    await writeFile(join(outDir, 'files', file), text);
  };
  const errors: string[] = [];
  for (const file of TEMPLATE_FILES) {
    try {
      await write(file, toTemplate(await readFile(join(packageDir, file), 'utf8'), file));
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  if (errors.length > 0) throw new Error(errors.join('\n'));
  for (const file of STANDALONE_FILES)
    await write(file, await readFile(join(repoRoot, file), 'utf8'));
  for (const file of WORKSPACE_FILES)
    await write(file, await readFile(join(packageDir, file), 'utf8'));
  for (const file of ['README.md', 'gitignore']) {
    const text = await readFile(join(packageDir, 'template', file), 'utf8');
    const problems = templateProblems(text, `template/${file}`);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    await write(file, text);
  }
  const rootPackage = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const devDependencies: Record<string, string> = {};
  for (const tool of DEV_TOOLS) {
    const range = rootPackage.devDependencies?.[tool];
    if (range === undefined)
      throw new Error(`the repository's package.json has no devDependency ${tool}`);
    devDependencies[tool] = range;
  }
  // The minimal template: a handful of hand-written files (template/minimal/), checked alike.
  const minimalDir = join(packageDir, 'template', 'minimal');
  const minimalFiles = (await readdir(minimalDir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => relative(minimalDir, join(entry.parentPath, entry.name)))
    .sort();
  for (const file of minimalFiles) {
    const text = await readFile(join(minimalDir, file), 'utf8');
    const problems = templateProblems(text, `template/minimal/${file}`);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    await mkdir(dirname(join(outDir, 'minimal', file)), { recursive: true });
    await writeFile(join(outDir, 'minimal', file), text);
  }
  const build = JSON.parse(
    await readFile(join(repoRoot, 'packages', 'umd-build', 'package.json'), 'utf8'),
  ) as { version: string };
  const manifest: TemplateManifest = {
    files: [...TEMPLATE_FILES, 'README.md', 'gitignore'],
    standaloneFiles: [...STANDALONE_FILES],
    workspaceFiles: [...WORKSPACE_FILES],
    devDependencies,
    minimalFiles,
    buildVersion: build.version,
  };
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
