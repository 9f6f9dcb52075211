// @ts-check
// Generates the API reference (src/api/<package>/) from the TSDoc comments of the real
// packages with typedoc + typedoc-plugin-markdown. The output is gitignored and rebuilt on
// every docs build, so the reference cannot drift from the code.
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, LogLevel } from 'typedoc';
import { API_PACKAGES } from './api-packages.mjs';

export { API_PACKAGES };

const docsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = resolve(docsRoot, '..');

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
    // @ts-expect-error plugin options are not in typedoc's own option types
    entryFileName: 'index',
    // One page per entry point (`@umd/core/handler`, ...), members as sections: the
    // "Class / Method / Option" reference a reader scrolls, and few pages to build.
    outputFileStrategy: 'modules',
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
  await alignAnchors(out);
  return out;
}

/**
 * typedoc names a module page after its file (`index-1.md` for `src/index.ts`, next to the
 * package's own `index.md`; `handler.md`); a reader imports `@umd/core` and
 * `@umd/core/handler`. Renames `index-1.md` to `main.md` (rewriting the links to it) and
 * titles each module page, and the package index, by its import specifier.
 * @param {string} out
 * @param {string} packageName
 */
async function nameModulesBySpecifier(out, packageName) {
  const pages = (await readdir(out)).filter((file) => file.endsWith('.md'));
  if (pages.length === 1) return; // one entry point: index.md is the module page itself
  const specifier = (/** @type {string} */ mod) =>
    mod === 'index-1' ? packageName : `${packageName}/${mod}`;
  for (const file of pages) {
    const path = join(out, file);
    let text = (await readFile(path, 'utf8')).replace(/\]\(index-1\.md/g, '](main.md');
    if (file === 'index.md') {
      for (const other of pages) {
        const mod = other.slice(0, -3);
        const target = mod === 'index-1' ? 'main' : mod;
        text = text.replace(
          new RegExp(`^- \\[[^\\]]+\\]\\(${target}\\.md\\)`, 'm'),
          `- [${specifier(mod)}](${target}.md)`,
        );
      }
    } else {
      text = text.replace(/^# .*$/m, `# ${specifier(file.slice(0, -3))}`);
    }
    await writeFile(file === 'index-1.md' ? join(out, 'main.md') : path, text);
    if (file === 'index-1.md') await rm(path);
  }
}

// VitePress' heading slugs (the rules of @mdit-vue/shared's slugify, which VitePress uses).
const SLUG_SPECIAL = /[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g;
/** @param {string} text */
export function slugify(text) {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036F]/g, '')
    .replace(/[\u0000-\u001f]/g, '')
    .replace(SLUG_SPECIAL, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^(\d)/, '_$1')
    .toLowerCase();
}

/**
 * The anchors VitePress will give a page: heading slugs (a repeated slug gets -1, -2, ...)
 * and explicit `<a id>`s.
 * @param {string} markdown
 */
function anchorsOf(markdown) {
  const anchors = new Set();
  const seen = new Map();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fence = !fence;
    if (fence) continue;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      const text = /** @type {string} */ (heading[1])
        .replace(/\\(.)/g, '$1')
        .replace(/`/g, '')
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
      const base = slugify(text);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<a id="([^"]+)"/g)) anchors.add(match[1]);
  }
  return anchors;
}

/**
 * typedoc-plugin-markdown numbers some anchors (`#umdmanagerstate-1`) where VitePress'
 * slugs do not. Points each in-package link at the anchor VitePress actually renders, when
 * dropping the number finds it; anything still unresolved is left for the link test to report.
 * @param {string} out
 */
async function alignAnchors(out) {
  const files = (await readdir(out)).filter((file) => file.endsWith('.md'));
  const texts = new Map(
    await Promise.all(
      files.map(
        async (file) =>
          /** @type {[string, string]} */ ([file, await readFile(join(out, file), 'utf8')]),
      ),
    ),
  );
  const anchors = new Map([...texts].map(([file, text]) => [file, anchorsOf(text)]));
  for (const [file, text] of texts) {
    const fixed = text.replace(/\]\(([\w.-]*\.md)?#([\w-]+)\)/g, (link, target, anchor) => {
      const known = anchors.get(target ?? file);
      if (!known || known.has(anchor)) return link;
      // Or typedoc kept a character VitePress' slug drops (`reply_size` for `REPLY_SIZE`).
      const plain = anchor.replace(/-\d+$/, '');
      const found = [plain, slugify(anchor), slugify(plain)].find((a) => known.has(a));
      return found === undefined ? link : `](${target ?? ''}#${found})`;
    });
    if (fixed !== text) await writeFile(join(out, file), fixed);
  }
}

export async function generateApi() {
  for (const entry of API_PACKAGES) {
    const started = Date.now();
    await generatePackage(entry);
    console.log(`api: ${entry.name} -> src/api/${entry.slug} (${Date.now() - started} ms)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await generateApi();
}
