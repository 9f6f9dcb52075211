import { packageConfig } from '../../tsup.config.base.js';

// dist/blobs/ (handler blob) and dist/native/ (preload library) are built first by
// scripts/build-blobs.mjs and scripts/build-native.mjs: keep them. handler-core is not in the
// exports map: bench/classify.mjs measures the engine in-process with it.
export default packageConfig(
  {
    index: 'src/index.ts',
    cli: 'src/cli.ts',
    loader: 'src/loader.ts',
    'handler-core': 'src/handler/core.ts',
    // Found next to the chunks by table-compiler.ts; runs in a worker thread.
    'enforce-compile-worker': 'src/enforce/compile-worker.ts',
  },
  { clean: false },
);
