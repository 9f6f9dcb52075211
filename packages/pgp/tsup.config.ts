import { packageConfig } from '../../tsup.config.base.js';

// The blob is built into dist/blobs/ first (scripts/build-blobs.mjs): keep it.
export default packageConfig(
  {
    index: 'src/index.ts',
    cli: 'src/cli.ts',
    // The loader is an entry of its own so that it sits at dist/loaders/, next to dist/blobs/.
    'loaders/main': 'src/loaders/main.ts',
  },
  { clean: false },
);
