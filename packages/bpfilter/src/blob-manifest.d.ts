// Types of the blob manifest that scripts/build-blobs.mjs writes before tsup runs (tsup
// inlines it into dist/loader.js), so that type checks also work before a build.
declare module '*.blob.json' {
  const manifest: import('@umd/mgmt').BlobManifest;
  export default manifest;
}
