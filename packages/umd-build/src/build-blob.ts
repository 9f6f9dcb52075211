import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildFailure, stop as stopEsbuild } from 'esbuild';
import { UmdError, UmdErrorCode } from '@umd/core';
import { type BlobResult, recordBlob } from './record-blob.js';

/** Module format of a JS blob. */
export type BlobFormat = 'auto' | 'cjs' | 'esm';

/** Options of {@link buildBlob}. */
export interface BuildBlobOptions {
  /** The handler's entry module (TS or JS); it usually calls `serve()` from `@umd/core/handler`. */
  entry: string;
  /** Directory for the blob and `<name>.blob.json` (created if missing). */
  outDir: string;
  /** Handler name (also the file name stem). */
  name: string;
  /**
   * `auto` (default): CommonJS (`<name>.blob.cjs`), which Node 20 starts markedly faster than
   * ESM, unless the code needs ESM (top-level await), then ESM (`<name>.blob.mjs`).
   */
  format?: BlobFormat;
  /** Minify the bundle (whitespace and syntax; identifiers are kept for readable stack traces). Default `true`. */
  minify?: boolean;
  /**
   * Embed a source map in the blob (default `true`), so that a handler run with
   * `nodeFlags: ['--enable-source-maps']` (see `defineLoader`) reports its stack at the lines
   * of the source files. Inline, because the manager runs a private copy of the blob alone;
   * the source paths are absolute (where the build ran); the sources' text is left out.
   */
  sourcemap?: boolean;
  /** Module names left out of the bundle. Default none: a blob must run on its own. */
  external?: string[];
}

// ESM output: bundled CommonJS code may call require() for Node built-ins; give it one.
const ESM_BANNER =
  "import { createRequire as __umdCreateRequire } from 'node:module'; const require = __umdCreateRequire(import.meta.url);";
// CJS output: keep import.meta.url meaningful for code written as ESM. A getter, so a blob that
// never reads it (the handler runtime does not) runs no node:url code at start (what that costs:
// @umd/mgmt's README, the JS cold start).
const CJS_BANNER =
  'var __umdImportMeta = { get url() { return require("node:url").pathToFileURL(__filename).href; } };';

let activeBuilds = 0;

function needsEsm(error: unknown): boolean {
  const errors = (error as Partial<BuildFailure>).errors ?? [];
  return errors.some((e) => /top-level await/i.test(e.text));
}

/**
 * Bundles a handler entry (and everything it imports, including `@umd/core/handler`) into ONE
 * file `<outDir>/<name>.blob.cjs` (or `.blob.mjs`, see `format`), then writes
 * `<outDir>/<name>.blob.json` = `{ name, file, sha256 }`. Leaves no esbuild process running.
 *
 * @throws UmdError `UMD_INVALID_ARGUMENT` for a bad name or format, `UMD_LOADER` when esbuild fails (its messages are in `cause`).
 */
export async function buildBlob(options: BuildBlobOptions): Promise<BlobResult> {
  const {
    entry,
    outDir,
    name,
    format = 'auto',
    minify = true,
    sourcemap = true,
    external = [],
  } = options;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `buildBlob: invalid name ${JSON.stringify(name)}`,
    );
  }
  if (format !== 'auto' && format !== 'cjs' && format !== 'esm') {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `buildBlob: format must be 'auto', 'cjs' or 'esm'`,
    );
  }
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const bundle = async (as: 'cjs' | 'esm'): Promise<string> => {
    const file = join(dir, `${name}.blob.${as === 'cjs' ? 'cjs' : 'mjs'}`);
    await build({
      entryPoints: [resolve(entry)],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: as,
      target: 'node20',
      minifyWhitespace: minify,
      minifySyntax: minify,
      legalComments: 'none',
      ...(sourcemap
        ? { sourcemap: 'inline', sourcesContent: false, sourceRoot: `${pathToFileURL(dir).href}/` }
        : {}),
      banner: { js: as === 'cjs' ? CJS_BANNER : ESM_BANNER },
      ...(as === 'cjs' ? { define: { 'import.meta.url': '__umdImportMeta.url' } } : {}),
      external,
      logLevel: 'silent',
    });
    // Only one blob per name: drop the other format's file from an earlier build.
    await rm(join(dir, `${name}.blob.${as === 'cjs' ? 'mjs' : 'cjs'}`), { force: true });
    return file;
  };
  activeBuilds++;
  let file: string;
  try {
    if (format === 'esm') file = await bundle('esm');
    else {
      try {
        file = await bundle('cjs');
      } catch (error) {
        if (format === 'cjs' || !needsEsm(error)) throw error;
        file = await bundle('esm');
      }
    }
  } catch (cause) {
    throw new UmdError(
      UmdErrorCode.LOADER,
      `buildBlob: bundling ${entry} failed: ${(cause as Error).message}`,
      { cause, handlerName: name },
    );
  } finally {
    // esbuild keeps a service child process; leave none behind once no build is running.
    if (--activeBuilds === 0) await stopEsbuild();
  }
  return recordBlob({ file, name });
}
