import { defineConfig } from 'tsup';

// ESM with type declarations; clean: false keeps dist/blobs/ from scripts/build-blob.mjs.
export default defineConfig({
  entry: { index: 'src/index.ts', loader: 'src/loader.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: false,
});
