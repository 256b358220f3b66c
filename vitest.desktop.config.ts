import { defineConfig } from 'vitest/config';

/** The desktop end-to-end suite: real tray under Xvfb + trayer, real D-Bus notifications. */
export default defineConfig({
  test: {
    include: ['src/**/*.e2e.test.ts', 'test/**/*.e2e.test.ts'],
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
