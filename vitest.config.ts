import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // 2-core machines: real processes (database, SMTP sinks, workers) compete for CPU.
    maxWorkers: 2,
  },
});
