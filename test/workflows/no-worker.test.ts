// A workflow on a task queue no worker polls (a typo in KLING_TASK_QUEUE): VideoGenerationClient.getProgress says
// so within seconds, naming the queue, instead of hanging until the query's deadline.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import { NoWorkerPollingError } from '../../src/index.js';
import { assertWorkerPolling, workflowPollers } from '../../src/task-queue-check.js';
import { createDevServerEnv, uniqueId } from '../support/servers.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createDevServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('no worker polling the task queue', () => {
  it('getProgress rejects with NoWorkerPollingError naming the queue within a few seconds', async () => {
    const taskQueue = uniqueId('nobody-polls');
    const videos = new VideoGenerationClient(env.client, { taskQueue });
    const workflowId = uniqueId('no-worker');
    await videos.startVideoGeneration(
      { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A red fox trots through fresh snow at dawn, tracking shot' },
      { workflowId },
    );
    const started = Date.now();
    const err = await videos.getProgress(workflowId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(NoWorkerPollingError);
    expect((err as NoWorkerPollingError).taskQueue).toBe(taskQueue);
    expect((err as Error).message).toContain(`no worker is polling task queue "${taskQueue}"`);
    expect((err as Error).message).toContain('kling-video worker');
    expect(await workflowPollers(env.client, taskQueue)).toBe(0);
    await expect(assertWorkerPolling(env.client, taskQueue)).rejects.toBeInstanceOf(NoWorkerPollingError);
    await env.client.workflow.getHandle(workflowId).terminate('test done');
  });
});
