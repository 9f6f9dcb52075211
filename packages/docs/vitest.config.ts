import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The site is built once (if missing or older than its sources) before any test.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The browser test and the type-check are heavy; keep the 2-core machine responsive.
    fileParallelism: false,
  },
});
