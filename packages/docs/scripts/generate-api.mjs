// @ts-check
// Generates the API reference (src/api/<package>/) from the TSDoc comments of the real
// packages with typedoc + typedoc-plugin-markdown. The output is gitignored and rebuilt on
// every docs build, so the reference cannot drift from the code.
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, LogLevel } from 'typedoc';

const docsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = resolve(docsRoot, '..');

/** The documented packages: folder under packages/, and the slug used under /api/. */
export const API_PACKAGES = [
  { dir: 'umd-core', slug: 'core' },
  { dir: 'umd-mgmt', slug: 'mgmt' },
  { dir: 'bpfilter', slug: 'bpfilter' },
];

/**
 * The source entry points of a package, derived from its `exports` map
 * (`./dist/handler.d.ts` -> `src/handler.ts`), so a new subpath is documented automatically.
 * @param {string} pkgDir
 */
export function entryPointsOf(pkgDir) {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  /** @type {string[]} */
  const entries = [];
  for (const target of Object.values(pkg.exports ?? {})) {
    const types = typeof target === 'object' && target !== null ? target.types : undefined;
    if (typeof types !== 'string') continue;
    const src = join(pkgDir, types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'));
    if (existsSync(src)) entries.push(src);
  }
  return entries;
}

/** @param {{ dir: string, slug: string }} entry */
async function generatePackage({ dir, slug }) {
  const pkgDir = join(packagesDir, dir);
  const out = join(docsRoot, 'src', 'api', slug);
  await rm(out, { recursive: true, force: true });
  const entryPoints = entryPointsOf(pkgDir);
  if (entryPoints.length === 0) throw new Error(`no entry points found for ${dir}`);
  const app = await Application.bootstrapWithPlugins({
    entryPoints,
    tsconfig: join(pkgDir, 'tsconfig.json'),
    plugin: ['typedoc-plugin-markdown'],
    out,
    readme: 'none',
    name: JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).name,
    excludePrivate: true,
    excludeInternal: true,
    excludeExternals: true,
    // The reference documents what the code says; a warning (e.g. a link typedoc cannot
    // resolve) is shown but does not fail the build of the site.
    logLevel: LogLevel.Warn,
    skipErrorChecking: true,
    gitRevision: 'main',
    sourceLinkTemplate: undefined,
    disableSources: true,
    // typedoc-plugin-markdown
    // @ts-ignore plugin options are not in typedoc's own option types
    entryFileName: 'index',
    hidePageHeader: true,
    hideBreadcrumbs: true,
    useCodeBlocks: true,
    parametersFormat: 'table',
    interfacePropertiesFormat: 'table',
    classPropertiesFormat: 'table',
    enumMembersFormat: 'table',
    typeDeclarationFormat: 'table',
    // VitePress compiles pages as Vue templates: escape `{`/`<` that come from comments.
    sanitizeComments: true,
  });
  const project = await app.convert();
  if (!project) throw new Error(`typedoc could not convert ${dir}`);
  await app.generateOutputs(project);
  await nameModulesBySpecifier(out, project.name);
  return out;
}

/**
 * typedoc names a module after its file (`index`, `handler`); a reader imports
 * `@umd/core` and `@umd/core/handler`, so the titles and the package index say that.
 * @param {string} out
 * @param {string} packageName
 */
async function nameModulesBySpecifier(out, packageName) {
  const specifier = (/** @type {string} */ mod) => (mod === 'index' ? packageName : `${packageName}/${mod}`);
  const modules = [];
  for (const entry of await readdir(out)) {
    const page = join(out, entry, 'index.md');
    if (!(await stat(join(out, entry))).isDirectory() || !existsSync(page)) continue;
    modules.push(entry);
    const text = await readFile(page, 'utf8');
    await writeFile(page, text.replace(/^# .*$/m, `# ${specifier(entry)}`));
  }
  const indexPage = join(out, 'index.md');
  let index = await readFile(indexPage, 'utf8');
  for (const mod of modules) index = index.replace(`- [${mod}](${mod}/index.md)`, `- [${specifier(mod)}](${mod}/index.md)`);
  await writeFile(indexPage, index);
}

export async function generateApi() {
  for (const entry of API_PACKAGES) {
    const started = Date.now();
    await generatePackage(entry);
    console.log(`api: @umd/${entry.slug} -> src/api/${entry.slug} (${Date.now() - started} ms)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await generateApi();
}
