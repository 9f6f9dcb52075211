/**
 * `@umd/mgmt/build`: build-time helpers for driver packages. Bundle a JS handler into a blob
 * and record its SHA-256, or record the digest of a native handler.
 * @packageDocumentation
 */
export { buildBlob, type BlobFormat, type BuildBlobOptions } from './build/build-blob.js';
export {
  recordBlob,
  type BlobManifest,
  type BlobResult,
  type RecordBlobOptions,
} from './build/blob-manifest.js';
export { sha256File } from './build/sha256-file.js';
