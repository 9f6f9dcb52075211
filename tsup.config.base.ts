import { defineConfig, type Options } from 'tsup';

/** The one tsup configuration every package shares: ESM, type declarations, Node 20. */
export function packageConfig(entry: Options['entry'], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    ...overrides,
  });
}
