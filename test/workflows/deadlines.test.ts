import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_EXIT_CODES, ExitCode } from '../../src/cli/exit-codes.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { generateVideo, progressQuery } from '../../src/workflows/index.js';
import { createGenerationStack, type GenerationStack } from '../support/generation-stack.js';
import { captureHistory } from '../support/histories.js';
import { createDevServerEnv, uniqueId } from '../support/servers.js';

const PROMPT = 'A hot air balloon drifts over a misty valley at sunrise, wide shot, soft light';
const FAST_POLL = { initialInterval: 100, backoffCoefficient: 1.5, maxInterval: 300 };
/** Every task of this file's simulator stays queued (`submitted`) this long, then processes for 300 ms. */
const QUEUED_MS = 2_000;

let env: TestWorkflowEnvironment;
let stack: GenerationStack;

beforeAll(async () => {
  env = await createDevServerEnv();
  stack = await createGenerationStack(env, { simulator: { schedule: { submittedMs: QUEUED_MS, processingMs: 300 } } });
});
afterAll(async () => {
  await stack?.close();
  await env?.teardown();
});

function start(input: GenerateVideoInput) {
  return env.client.workflow.start(generateVideo, { args: [input], workflowId: uniqueId('deadlines'), taskQueue: stack.taskQueue });
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

type TimeoutDetails = { taskId: string; externalTaskId: string; lastStatus: string; deadline: string; adopt: { taskId: string } };

describe('generateVideo phase deadlines (queued too long, processing too long)', () => {
  it('a task still queued past queuedDeadline fails with VideoQueuedTooLong, well before the overall deadline', async () => {
    await stack.run(async () => {
      const handle = await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 }, options: { queuedDeadline: 500, poll: FAST_POLL } });
      const t0 = Date.now();
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(FailureType.VideoQueuedTooLong);
      expect(failure.nonRetryable).toBe(true);
      const details = failure.details?.[0] as TimeoutDetails;
      expect(details).toMatchObject({ deadline: 'queued', lastStatus: 'submitted', adopt: { taskId: details.taskId } });
      expect(stack.sim.task(details.taskId)?.status).toBe('submitted');
      expect(failure.message).toContain(`kling-video adopt ${details.taskId}`);
      // Fired while the task was queued (it queues for QUEUED_MS), not at the 10-minute overall cap.
      expect(Date.now() - t0).toBeLessThan(QUEUED_MS);
      expect((await handle.query(progressQuery)).outcome).toBe('timed_out');
      await captureHistory(handle, 'deadline-queued-too-long');
    });
  });

  it('a task still processing past processingDeadline fails with VideoProcessingTooLong; the queue time does not count', async () => {
    await stack.run(async () => {
      const handle = await start({
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: `${PROMPT} [sim:never]`, duration: 5 },
        // Shorter than the queue time: it must only start counting once the task is seen processing.
        options: { processingDeadline: 700, poll: FAST_POLL },
      });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(FailureType.VideoProcessingTooLong);
      await captureHistory(handle, 'deadline-processing-too-long');
      const details = failure.details?.[0] as TimeoutDetails;
      expect(details).toMatchObject({ deadline: 'processing', lastStatus: 'processing' });
      const task = stack.sim.task(details.taskId)!;
      expect(task.status).toBe('processing');
      const progress = await handle.query(progressQuery);
      expect(progress.outcome).toBe('timed_out');
      // Failed at least processingDeadline after the task left the queue.
      expect(progress.elapsedMs).toBeGreaterThanOrEqual(QUEUED_MS + 700);
      expect(failure.message).toContain(`kling-video adopt ${details.taskId}`);
    });
  });

  it('generous phase deadlines do not fire: the generation succeeds', async () => {
    await stack.run(async () => {
      const handle = await start({
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 },
        options: { queuedDeadline: '20s', processingDeadline: '20s', poll: FAST_POLL },
      });
      const result = await handle.result();
      expect(stack.sim.task(result.klingTaskId)?.status).toBe('succeeded');
    });
  });

  it('a malformed phase deadline is refused naming the option; the three timeouts share exit code 4', async () => {
    await stack.run(async () => {
      const failure = await failureOf(
        start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 }, options: { processingDeadline: 'soon' } }).then((h) => h.result()),
      );
      expect(failure.type).toBe(FailureType.InvalidVideoRequest);
      expect(failure.details?.[0]).toMatchObject({ issues: [{ field: 'options.processingDeadline' }] });
    });
    for (const type of [FailureType.VideoGenerationTimedOut, FailureType.VideoQueuedTooLong, FailureType.VideoProcessingTooLong])
      expect(FAILURE_EXIT_CODES[type]).toBe(ExitCode.TimedOut);
    expect(FAILURE_EXIT_CODES[FailureType.KlingTaskNotFound]).toBe(ExitCode.InvalidInput);
  });
});
