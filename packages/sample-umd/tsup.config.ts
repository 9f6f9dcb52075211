import { packageConfig } from '../../tsup.config.base.js';

// The blobs are built into dist/blobs/ first (scripts/build-blobs.mjs): keep them.
export default packageConfig(
  {
    index: 'src/index.ts',
    cli: 'src/cli.ts',
    // Loaders are entries of their own so that they sit at dist/loaders/, next to dist/blobs/.
    'loaders/ts': 'src/loaders/ts.ts',
    // #region sample-only
    'loaders/c': 'src/loaders/c.ts',
    // Imported by scripts/build-template.mjs after this build.
    'generator/template-source': 'src/generator/template-source.ts',
    // #endregion
  },
  { clean: false },
);
