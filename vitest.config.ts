import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: end-to-end files spawn the app, so keep the pool small.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
