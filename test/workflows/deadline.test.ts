import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureType } from '../../src/contract/failure-types.js';
import { SEARCH_ATTRIBUTES } from '../../src/contract/search-attributes.js';
import { generateVideo } from '../../src/workflows/index.js';
import { createGenerationStack, type GenerationStack } from '../support/generation-stack.js';
import { captureHistory } from '../support/histories.js';
import { createTimeSkippingEnv, uniqueId } from '../support/servers.js';

let env: TestWorkflowEnvironment;
let stack: GenerationStack;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  // The time-skipping server knows no custom search attributes until they are registered.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, 2 /* KEYWORD */])),
  });
  stack = await createGenerationStack(env, { simulator: { neverFinish: true } });
});
afterAll(async () => {
  await stack?.close();
  await env?.teardown();
});

describe('generateVideo deadline (time-skipping server)', () => {
  it('a task that never finishes fails with VideoGenerationTimedOut after the default 10 minutes, polling on timers', async () => {
    await stack.run(async () => {
      const wallStart = Date.now();
      const handle = await env.client.workflow.start(generateVideo, {
        args: [{ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A red fox trots through fresh snow at dawn, tracking shot, cinematic' } }],
        workflowId: uniqueId('deadline'),
        taskQueue: stack.taskQueue,
      });
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect(cause.type).toBe(FailureType.VideoGenerationTimedOut);
      expect(cause.nonRetryable).toBe(true);
      // Workflow time, read from the history's own timestamps (the test server's clock keeps skipping afterwards).
      await captureHistory(handle, 'deadline-timed-out');
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      const at = (i: number) => Number(events.at(i)?.eventTime?.seconds ?? 0) * 1000;
      // Completed activities: validate, then submit; the deadline counts from submission.
      const completed = events.flatMap((e, i) => (e.activityTaskCompletedEventAttributes ? [i] : []));
      const submittedAt = at(completed[1]!);
      const elapsed = at(-1) - at(0);
      expect(elapsed).toBeGreaterThanOrEqual(10 * 60_000);
      expect(elapsed).toBeLessThan(11 * 60_000);
      expect(at(-1) - submittedAt).toBeGreaterThanOrEqual(10 * 60_000 - 1000);
      expect(Date.now() - wallStart).toBeLessThan(60_000);
      // Polls back off from 5 s to a 30 s cap: about two dozen status checks, one create, in 10 minutes.
      const creates = stack.sim.requests.filter((r) => r.method === 'POST');
      const polls = stack.sim.requests.filter((r) => r.method === 'GET' && r.path === '/tasks');
      expect(creates).toHaveLength(1);
      expect(polls.length).toBeGreaterThan(15);
      expect(polls.length).toBeLessThan(40);
      expect(events.length).toBeLessThan(600);
    });
  });
});
