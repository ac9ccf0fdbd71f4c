// generateVideo's deadlines: the overall one (10 minutes by default) on a time-skipping server, where workflow time
// jumps over timers, and the phase deadlines (queued too long, processing too long) on the shared dev server.
import { describe, expect, it } from 'vitest';
import { FAILURE_EXIT_CODES, ExitCode } from '../../src/cli/exit-codes.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { generateVideo, progressQuery } from '../../src/workflows/index.js';
import { captureHistory } from '../support/histories.js';
import { uniqueId } from '../support/servers.js';
import { failureOf, FAST_POLL, useGenerationStack } from '../support/suite.js';

const PROMPT = 'A hot air balloon drifts over a misty valley at sunrise, wide shot, soft light';
const POLL = { ...FAST_POLL, initialInterval: 100, maxInterval: 300 };
/** Every task of this file's simulator stays queued (`submitted`) this long, then processes for 300 ms. */
const QUEUED_MS = 2_000;

const suite = useGenerationStack({ simulator: { schedule: { submittedMs: QUEUED_MS, processingMs: 300 } } });

function start(input: GenerateVideoInput) {
  return suite.env.client.workflow.start(generateVideo, { args: [input], workflowId: uniqueId('deadlines'), taskQueue: suite.stack.taskQueue });
}

type TimeoutDetails = { taskId: string; externalTaskId: string; lastStatus: string; deadline: string; adopt: { taskId: string } };

describe('generateVideo overall deadline (time-skipping server)', () => {
  const skipping = useGenerationStack({ simulator: { neverFinish: true } }, { server: 'time-skipping' });

  it('a task that never finishes fails with VideoGenerationTimedOut after the default 10 minutes, checking inside activity retries', async () => {
    await skipping.stack.run(async () => {
      const wallStart = Date.now();
      const handle = await skipping.env.client.workflow.start(generateVideo, {
        args: [
          { request: { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A red fox trots through fresh snow at dawn, tracking shot, cinematic' } },
        ],
        workflowId: uniqueId('deadline'),
        taskQueue: skipping.stack.taskQueue,
      });
      const cause = await failureOf(handle.result());
      expect(cause.type).toBe(FailureType.VideoGenerationTimedOut);
      expect(cause.nonRetryable).toBe(true);
      // Workflow time, read from the history's own timestamps (the test server's clock keeps skipping afterwards).
      await captureHistory(handle, 'deadline-timed-out');
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      const at = (i: number) => Number(events.at(i)?.eventTime?.seconds ?? 0) * 1000;
      // The deadline counts from submission: the completion of the submit activity.
      const submitScheduled = events
        .find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'submitVideoTask')!
        .eventId!.toString();
      const submitted = events.findIndex((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === submitScheduled);
      const submittedAt = at(submitted);
      const elapsed = at(-1) - at(0);
      expect(elapsed).toBeGreaterThanOrEqual(10 * 60_000);
      expect(elapsed).toBeLessThan(11 * 60_000);
      expect(at(-1) - submittedAt).toBeGreaterThanOrEqual(10 * 60_000 - 1000);
      expect(Date.now() - wallStart).toBeLessThan(60_000);
      // Polls back off from 5 s to a 10 s cap: about 60 status checks (5, 12.5, 22.5 s, then every 10 s), one create
      // (and no other POST), in 10 minutes.
      const posts = skipping.stack.sim.requests.filter((r) => r.method === 'POST');
      const polls = skipping.stack.sim.requests.filter((r) => r.method === 'GET' && r.path === '/tasks');
      expect(posts).toHaveLength(1);
      expect(polls.length).toBeGreaterThan(50);
      expect(polls.length).toBeLessThan(70);
      expect(events.length).toBeLessThan(600);
    });
  });
});

describe('generateVideo phase deadlines (queued too long, processing too long)', () => {
  it('a task still queued past queuedDeadline fails with VideoQueuedTooLong, well before the overall deadline', async () => {
    await suite.stack.run(async () => {
      const handle = await start({
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 },
        options: { queuedDeadline: 500, poll: POLL },
      });
      const t0 = Date.now();
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(FailureType.VideoQueuedTooLong);
      expect(failure.nonRetryable).toBe(true);
      const details = failure.details?.[0] as TimeoutDetails;
      expect(details).toMatchObject({ deadline: 'queued', lastStatus: 'submitted', adopt: { taskId: details.taskId } });
      expect(suite.stack.sim.task(details.taskId)?.status).toBe('submitted');
      expect(failure.message).toContain(`kling-video adopt ${details.taskId}`);
      // Fired while the task was queued (it queues for QUEUED_MS), not at the 10-minute overall cap.
      expect(Date.now() - t0).toBeLessThan(QUEUED_MS);
      expect((await handle.query(progressQuery)).outcome).toBe('timed_out');
      await captureHistory(handle, 'deadline-queued-too-long');
    });
  });

  it('a task still processing past processingDeadline fails with VideoProcessingTooLong; the queue time does not count', async () => {
    await suite.stack.run(async () => {
      const handle = await start({
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: `${PROMPT} [sim:never]`, duration: 5 },
        // Shorter than the queue time: it must only start counting once the task is seen processing.
        options: { processingDeadline: 700, poll: POLL },
      });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(FailureType.VideoProcessingTooLong);
      await captureHistory(handle, 'deadline-processing-too-long');
      const details = failure.details?.[0] as TimeoutDetails;
      expect(details).toMatchObject({ deadline: 'processing', lastStatus: 'processing' });
      const task = suite.stack.sim.task(details.taskId)!;
      expect(task.status).toBe('processing');
      const progress = await handle.query(progressQuery);
      expect(progress.outcome).toBe('timed_out');
      // Failed at least processingDeadline after the task left the queue.
      expect(progress.elapsedMs).toBeGreaterThanOrEqual(QUEUED_MS + 700);
      expect(failure.message).toContain(`kling-video adopt ${details.taskId}`);
    });
  });

  it('generous phase deadlines do not fire: the generation succeeds', async () => {
    await suite.stack.run(async () => {
      const handle = await start({
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 },
        options: { queuedDeadline: '20s', processingDeadline: '20s', poll: POLL },
      });
      const result = await handle.result();
      expect(suite.stack.sim.task(result.klingTaskId)?.status).toBe('succeeded');
    });
  });

  it('a malformed phase deadline is refused naming the option; the three timeouts share exit code 4', async () => {
    await suite.stack.run(async () => {
      const failure = await failureOf(
        start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 }, options: { processingDeadline: 'soon' } }).then(
          (h) => h.result(),
        ),
      );
      expect(failure.type).toBe(FailureType.InvalidVideoRequest);
      expect(failure.details?.[0]).toMatchObject({ issues: [{ field: 'options.processingDeadline' }] });
    });
    for (const type of [FailureType.VideoGenerationTimedOut, FailureType.VideoQueuedTooLong, FailureType.VideoProcessingTooLong])
      expect(FAILURE_EXIT_CODES[type]).toBe(ExitCode.TimedOut);
    expect(FAILURE_EXIT_CODES[FailureType.KlingTaskNotFound]).toBe(ExitCode.InvalidInput);
  });
});
