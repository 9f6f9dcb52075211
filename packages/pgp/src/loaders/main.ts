/**
 * The loader of the handler: carries the blob (the handler bundled into one file at build
 * time) and its SHA-256. The manager imports this module lazily, on first use.
 */
import { defineLoader } from '@umd/mgmt';
import manifest from '../../dist/blobs/pgp.blob.json' with { type: 'json' };
import { DRIVER_NAME } from '../contract.js';

export default defineLoader({
  name: DRIVER_NAME,
  mode: 'framed',
  // Relative to the built module, dist/loaders/main.js.
  script: new URL(`../blobs/${manifest.file}`, import.meta.url),
  sha256: manifest.sha256,
});
