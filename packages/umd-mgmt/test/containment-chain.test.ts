// containment.test.ts's cases of the handler under its namespace's init, through the program
// chain (setpriv, unshare, the supervising shell, bash as the init), which the launcher replaces
// where it is built: findLauncher reads UMD_LAUNCHER at this file's first start.
import { afterAll, beforeAll } from 'vitest';
import { namespaceInitCases } from './helpers/namespace-init.js';

const forced = process.env.UMD_LAUNCHER;
beforeAll(() => {
  process.env.UMD_LAUNCHER = 'off';
});
afterAll(() => {
  if (forced === undefined) delete process.env.UMD_LAUNCHER;
  else process.env.UMD_LAUNCHER = forced;
});

namespaceInitCases('bash');
