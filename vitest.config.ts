import { defineConfig } from 'vitest/config';

// Temporal's native bridge needs process isolation (forks), and the time-skipping
// server's clock is global, so test files run one at a time.
export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // A developer's .env (real Kling keys) must never reach a test or a process a test starts.
    env: { KLING_DOTENV: 'off' },
  },
});
