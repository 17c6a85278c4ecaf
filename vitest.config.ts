import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // 2-core machines: real processes (database, SMTP sinks, workers) compete for CPU.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/reliability/**'], sequence: { groupOrder: 0 } } },
      // Each reliability test runs several engine processes against one database: run them
      // one at a time, after everything else, so they never compete with each other for 2 cores.
      { extends: true, test: { name: 'reliability', include: ['test/reliability/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
