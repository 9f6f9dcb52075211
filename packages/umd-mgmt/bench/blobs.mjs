// The bench's handlers as a driver package ships them: JS handlers bundled into blobs and a
// native one compiled and digested, each by the umd-blob CLI in a child process, so the
// measuring host never loads esbuild (a production host's size, which every spawn from it costs:
// fork copies its page tables). Each returns its file and digest from the manifest the CLI wrote.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const blobCli = here('../node_modules/@umd/build/bin/umd-blob.js');

function umdBlob(args) {
  execFileSync(process.execPath, [blobCli, ...args], { stdio: 'ignore' });
}

/** The blob file and digest recorded in `<name>.blob.json` in `work`. */
function fromManifest(work, name) {
  const manifest = JSON.parse(readFileSync(join(work, `${name}.blob.json`), 'utf8'));
  return { file: join(work, manifest.file), sha256: manifest.sha256 };
}

/** Builds `entry` (a handler module beside this file) into a blob named `name` in `work`. */
export function buildBlob(work, entry, name) {
  umdBlob([here(entry), '--name', name, '--out-dir', work]);
  return fromManifest(work, name);
}

/** Compiles the tests' native echo handler into `work` and records its digest. */
export function buildNativeEcho(work) {
  const file = join(work, 'native-echo');
  execFileSync('cc', [
    '-O2',
    `-I${here('../node_modules/@umd/core/native')}`,
    '-o',
    file,
    here('../test/fixtures/native/native-echo.c'),
  ]);
  umdBlob(['--digest', file, '--name', 'native-echo']);
  return { file, sha256: fromManifest(work, 'native-echo').sha256 };
}
