/**
 * The loader of the C handler (raw mode): carries the executable compiled at build time and
 * its SHA-256. Its `postStart` check sends a known request and expects the known reply before
 * the handler takes real requests, as raw mode has no HELLO.
 */
import { UmdError, UmdErrorCode } from '@umd/core';
import { defineLoader } from '@umd/mgmt';
import built from '../../dist/blobs/sample-c.blob.json' with { type: 'json' };
import { encodeRequest, REPLY_SIZE, replyProblem } from '../contract.js';

/** The C blob's manifest; without a C compiler at build time it says why there is no blob. */
type NativeManifest =
  | { name: string; file: string; sha256: string; platform?: string; arch?: string }
  | { name: string; file: null; sha256: null; unavailable: string };

const manifest = built as NativeManifest;

if (manifest.file === null) {
  throw new UmdError(
    UmdErrorCode.LOADER,
    `sample: the C handler is not available: ${manifest.unavailable}`,
  );
}
if (
  manifest.platform !== undefined &&
  `${manifest.platform}-${manifest.arch}` !== `${process.platform}-${process.arch}`
) {
  throw new UmdError(
    UmdErrorCode.LOADER,
    `sample: the C handler was compiled for ${manifest.platform}-${manifest.arch}, this is ${process.platform}-${process.arch}: rebuild the package here`,
  );
}

export default defineLoader({
  name: manifest.name,
  mode: 'raw',
  // Relative to the built module, dist/loaders/c.js.
  executable: new URL(`../blobs/${manifest.file}`, import.meta.url),
  sha256: manifest.sha256,
  async postStart(session) {
    const reply = await session.exchange(encodeRequest(0), REPLY_SIZE);
    const problem = replyProblem(0, reply);
    if (problem !== undefined)
      throw new UmdError(
        UmdErrorCode.START_FAILED,
        `sample: the C handler failed its health check: ${problem}`,
      );
  },
});
