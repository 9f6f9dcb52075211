import { packageConfig } from '../../tsup.config.base.js';

export default packageConfig({ index: 'src/index.ts', 'blob-cli': 'src/blob-cli.ts' });
