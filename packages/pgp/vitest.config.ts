import { defineConfig } from 'vitest/config';

// Process-level tests scan the process table for their own children: one process per test file.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
