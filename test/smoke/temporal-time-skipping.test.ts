// Smoke test: the time-skipping test server (provisioned binary) really skips time.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as activities from '../fixtures/smoke-workflows/activities.js';
import { sleepFor } from '../fixtures/smoke-workflows/index.js';
import { createTimeSkippingEnv, uniqueId } from '../support/servers.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';

const TWO_HOURS_MS = 2 * 60 * 60 * 1000;

describe('Temporal time-skipping test server', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('completes a workflow that sleeps 2 hours in seconds of wall time', async () => {
    expect(env.supportsTimeSkipping).toBe(true);
    const taskQueue = uniqueId('smoke-ts');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      activities,
      workflowBundle: await bundleWorkflows(new URL('../fixtures/smoke-workflows/index.ts', import.meta.url)),
    });
    const serverTimeBefore = await env.currentTimeMs();
    const wallStart = performance.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(sleepFor, { args: [TWO_HOURS_MS], taskQueue, workflowId: uniqueId('smoke-sleep') }),
    );
    const wallMs = performance.now() - wallStart;
    const serverTimeAfter = await env.currentTimeMs();

    expect(result.wokeAt - result.startedAt).toBeGreaterThanOrEqual(TWO_HOURS_MS);
    expect(serverTimeAfter - serverTimeBefore).toBeGreaterThanOrEqual(TWO_HOURS_MS);
    expect(wallMs).toBeLessThan(30_000);
  });
});
