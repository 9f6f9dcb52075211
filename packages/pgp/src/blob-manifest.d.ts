// Types of the blob manifests that scripts/build-blobs.mjs writes into dist/blobs/ and the
// loaders import: tsc falls back to this while the files do not exist yet (before a build).
declare module '*.blob.json' {
  const manifest: import('@umd/mgmt').BlobManifest;
  export default manifest;
}
