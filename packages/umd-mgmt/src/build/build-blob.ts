import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build, stop as stopEsbuild } from 'esbuild';
import { UmdError, UmdErrorCode } from '@umd/core';
import { type BlobResult, recordBlob } from './blob-manifest.js';

/** Options of {@link buildBlob}. */
export interface BuildBlobOptions {
  /** The handler's entry module (TS or JS); it usually calls `serve()` from `@umd/core/handler`. */
  entry: string;
  /** Directory for `<name>.blob.mjs` and `<name>.blob.json` (created if missing). */
  outDir: string;
  /** Handler name (also the file name stem). */
  name: string;
  /** Minify the bundle (whitespace and syntax; identifiers are kept for readable stack traces). Default `true`. */
  minify?: boolean;
  /** Module names left out of the bundle. Default none: a blob must run on its own. */
  external?: string[];
}

// Bundled CommonJS code may call require() for Node built-ins; give ESM output one.
const REQUIRE_SHIM =
  "import { createRequire as __umdCreateRequire } from 'node:module'; const require = __umdCreateRequire(import.meta.url);";

let activeBuilds = 0;

/**
 * Bundles a handler entry (and everything it imports, including `@umd/core/handler`) into ONE
 * ESM file `<outDir>/<name>.blob.mjs`, then writes `<outDir>/<name>.blob.json` = `{ name, file, sha256 }`.
 *
 * @throws UmdError `UMD_INVALID_ARGUMENT` for a bad name, `UMD_LOADER` when esbuild fails (its messages are in `cause`).
 */
export async function buildBlob(options: BuildBlobOptions): Promise<BlobResult> {
  const { entry, outDir, name, minify = true, external = [] } = options;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `buildBlob: invalid name ${JSON.stringify(name)}`);
  }
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.blob.mjs`);
  activeBuilds++;
  try {
    await build({
      entryPoints: [resolve(entry)],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minifyWhitespace: minify,
      minifySyntax: minify,
      legalComments: 'none',
      banner: { js: REQUIRE_SHIM },
      external,
      logLevel: 'silent',
    });
  } catch (cause) {
    throw new UmdError(UmdErrorCode.LOADER, `buildBlob: bundling ${entry} failed: ${(cause as Error).message}`, { cause, handlerName: name });
  } finally {
    // esbuild keeps a service child process; leave none behind once no build is running.
    if (--activeBuilds === 0) await stopEsbuild();
  }
  return recordBlob({ file, name });
}
