// Smoke test: the shared Temporal dev server started by the global setup is real and usable —
// a workflow runs through a real Worker, and the project's custom search attributes are registered.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as activities from '../fixtures/smoke-workflows/activities.js';
import { greet } from '../fixtures/smoke-workflows/index.js';
import { KlingPhaseKey } from '../fixtures/smoke-workflows/search-attributes.js';
import { createDevServerEnv, testServers, uniqueId } from '../support/servers.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';

describe('Temporal dev server (temporal server start-dev)', () => {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    env = await createDevServerEnv();
    bundle = await bundleWorkflows(new URL('../fixtures/smoke-workflows/index.ts', import.meta.url));
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('is a real dev server at the provided address (no time skipping)', async () => {
    const { temporalAddress } = testServers();
    expect(temporalAddress).toMatch(/^[\w.-]+:\d+$/);
    expect(env.supportsTimeSkipping).toBe(false);
    const info = await env.connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('has the Kling custom search attributes registered as Keyword', async () => {
    const { temporalNamespace } = testServers();
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace: temporalNamespace });
    const keyword = encodeSearchAttributeIndexedValueType('KEYWORD');
    for (const name of ['KlingPhase', 'KlingTaskId', 'KlingModel', 'KlingStatus']) {
      expect(customAttributes?.[name], name).toBe(keyword);
    }
  });

  it('runs a workflow with an activity through a real Worker and indexes its search attribute', async () => {
    const taskQueue = uniqueId('smoke-dev');
    const workflowId = uniqueId('smoke-greet');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? testServers().temporalNamespace,
      taskQueue,
      workflowBundle: bundle,
      activities,
    });
    const result = await worker.runUntil(env.client.workflow.execute(greet, { args: ['temporal'], taskQueue, workflowId }));
    // The activity ran in this test process, the workflow in the worker's sandbox.
    expect(result).toEqual({ greeting: `HELLO, TEMPORAL! (pid ${process.pid})`, workflowId });

    const handle = env.client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(KlingPhaseKey)).toBe('smoke');
    const history = await handle.fetchHistory();
    expect(history.events?.length ?? 0).toBeGreaterThan(5);

    // Visibility (the dev server's SQLite index) is eventually consistent: poll briefly.
    const query = `WorkflowId = '${workflowId}' AND KlingPhase = 'smoke'`;
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const wf of env.client.workflow.list({ query })) found.push(wf.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toEqual([workflowId]);
  });
});
