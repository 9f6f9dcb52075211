import { packageConfig } from '../../tsup.config.base.js';

export default packageConfig({
  index: 'src/index.ts',
  handler: 'src/handler.ts',
  testing: 'src/testing.ts',
  cli: 'src/cli.ts',
  contract: 'src/contract.ts',
  untrusted: 'src/untrusted.ts',
});
