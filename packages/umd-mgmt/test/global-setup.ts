// Builds the handler fixtures into blobs with buildBlob of @umd/build (and cc for the native one), once per run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBlob, recordBlob } from '@umd/build';

const here = dirname(fileURLToPath(import.meta.url));
export const BUILT = join(here, 'fixtures', '.built');

export default async function setup(): Promise<void> {
  mkdirSync(BUILT, { recursive: true });
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
}
