import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The desktop end-to-end suite needs a display stack: `npm run test:desktop`.
    exclude: ['**/node_modules/**', '**/*.e2e.test.ts'],
    // Integration tests spawn real CLI processes (150-190 MB each, a CPU-heavy start-up):
    // one file at a time on 2 cores keeps watchdog tests (seconds-long timeouts) honest.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
