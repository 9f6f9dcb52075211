/**
 * `@umd/build`: build-time helpers for driver packages. Bundle a JS handler into a blob and
 * record its SHA-256, or record the digest of a native handler. A development dependency:
 * it brings esbuild, which a host at run time does not need (`@umd/mgmt` reads the blobs).
 * @packageDocumentation
 */
export { buildBlob, type BlobFormat, type BuildBlobOptions } from './build-blob.js';
export { recordBlob, type BlobResult, type RecordBlobOptions } from './record-blob.js';
export { sha256File } from './sha256-file.js';
