// vitest globalSetup: a run-wide directory where bundleWorkflows (workflow-bundle.ts) keeps each workflow bundle it
// built, so the next test file bundling the same entry with the same options reads it instead of running webpack
// again (about 4 s of CPU a file). One run reads one source tree; the directory is removed at teardown.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory of this run's workflow bundles (test/support/workflow-bundle.ts). */
    workflowBundleDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kt-workflow-bundles-'));
  project.provide('workflowBundleDir', dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
