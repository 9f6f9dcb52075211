import { packageConfig } from '../../tsup.config.base.js';

export default packageConfig({
  index: 'src/index.ts',
  build: 'src/build.ts',
  'blob-cli': 'src/blob-cli.ts',
});
