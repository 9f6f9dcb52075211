/**
 * The loader: carries the blob (src/handler.ts bundled into one file by
 * scripts/build-blob.mjs) and its SHA-256, inlined here at build time. The manager imports
 * this module on the first request; a blob whose digest differs never runs.
 */
import { defineLoader } from '@umd/mgmt';
import manifest from '../dist/blobs/__NAME__.blob.json' with { type: 'json' };

export default defineLoader({
  name: '__NAME__',
  mode: 'framed',
  // Relative to the built module, dist/loader.js.
  script: new URL(`./blobs/${manifest.file}`, import.meta.url),
  sha256: manifest.sha256,
});
