// Types of the blob manifest that scripts/build-blobs.mjs writes before tsup runs (tsup
// inlines it into dist/loader.js), so that type checks also work before a build.
declare module '*/bpfilter.blob.json' {
  const manifest: { name: string; file: string; sha256: string };
  export default manifest;
}
