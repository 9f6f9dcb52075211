// Types of the blob manifest that scripts/build-blob.mjs writes into dist/blobs/ and the
// loader imports: tsc falls back to this while the file does not exist yet.
declare module '*.blob.json' {
  const manifest: import('@umd/mgmt').BlobManifest;
  export default manifest;
}
