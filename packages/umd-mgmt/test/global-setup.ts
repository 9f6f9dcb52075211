// Builds the handler fixtures into blobs with buildBlob of @umd/build (and cc for the native one), once per run.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBlob, recordBlob } from '@umd/build';
import { isAlive } from '@umd/core/testing';

const here = dirname(fileURLToPath(import.meta.url));
const PARENT = join(here, 'fixtures', '.built');

/**
 * Each run builds into a directory of its own, `.built/run-<pid>-XXXXXX`, named to its workers and
 * the hosts they start by UMD_TEST_BUILT, and removed at teardown. Rebuilt in place, the blobs of
 * a run still going in the same package were truncated under its hosts (esbuild, writeFile and
 * the linker write so), which then refused them: UMD_BLOB_INTEGRITY with the empty file's SHA-256.
 * A fresh build cannot be renamed over the old one either: its source map names its directory,
 * so its digest differs and a host could pair the old manifest with the new blob.
 */
export default async function setup(): Promise<() => void> {
  mkdirSync(PARENT, { recursive: true });
  for (const entry of readdirSync(PARENT)) {
    const pid = /^run-(\d+)-/.exec(entry)?.[1];
    // A run that was killed before its teardown.
    if (pid !== undefined && !isAlive(Number(pid)))
      rmSync(join(PARENT, entry), { recursive: true, force: true });
  }
  const BUILT = mkdtempSync(join(PARENT, `run-${process.pid}-`));
  chmodSync(BUILT, 0o755); // as .built/ was: hosts run as nobody read it (mkdtemp makes it 0700)
  process.env.UMD_TEST_BUILT = BUILT;
  for (const name of ['echo', 'stubborn', 'raw', 'contract']) {
    await buildBlob({
      entry: join(here, 'fixtures', 'handlers', `${name}-handler.mjs`),
      outDir: BUILT,
      name,
    });
  }
  // The C fixture uses @umd/core's single-header wire format implementation.
  const include = join(here, '..', 'node_modules', '@umd', 'core', 'native');
  const native = join(BUILT, 'native-echo');
  execFileSync(
    'cc',
    [
      '-O2',
      '-Wall',
      '-Werror',
      `-I${include}`,
      '-o',
      native,
      join(here, 'fixtures', 'native', 'native-echo.c'),
    ],
    { stdio: 'inherit' },
  );
  await recordBlob({ file: native, name: 'native-echo' });
  if (!existsSync(native)) throw new Error('native fixture did not build');
  return () => rmSync(BUILT, { recursive: true, force: true });
}
