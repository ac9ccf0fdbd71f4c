import { defineConfig } from 'vitest/config';
import { SweepLastSequencer } from './test/security/sweep-last-sequencer.js';

// Temporal's native bridge needs process isolation (forks), and the time-skipping
// server's clock is global, so test files run one at a time.
export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    include: ['test/**/*.test.ts'],
    globalSetup: [
      'test/support/global-setup.ts',
      // Workflow bundles built once per run and shared by the test files (test/support/workflow-bundle.ts).
      'test/support/bundle-cache-setup.ts',
      // Secret sweep (test/security/secret-sweep.test.ts): a run-wide log directory, and the sweep file runs last.
      'test/security/sweep-setup.ts',
    ],
    sequence: { sequencer: SweepLastSequencer },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // A developer's .env (real Kling keys) must never reach a test or a process a test starts.
    env: { KLING_DOTENV: 'off' },
  },
});
