// vitest globalSetup (next to test/support/global-setup.ts): a run-wide directory where suites leave captured
// logs (recordTestLog in secret-scan.ts) for the secret sweep that ends the run (secret-sweep.test.ts).
// Removed at teardown.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory for captured logs of this run (scanned by test/security/secret-sweep.test.ts). */
    testLogDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kt-test-logs-'));
  project.provide('testLogDir', dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
