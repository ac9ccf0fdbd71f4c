// The wait on Kling since 'kling-wait-in-activity-v1' (issue 16): checks of a second or more live in the retries of
// one awaitVideoTaskChange activity per status change, so the history records no timer and no activity per check.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../bench/history.js';
import { FailureType } from '../../src/contract/failure-types.js';
import { progressQuery, taskUpdatedSignal } from '../../src/contract/messages.js';
import { generateVideo } from '../../src/workflows/index.js';
import { captureHistory } from '../support/histories.js';
import { uniqueId } from '../support/servers.js';
import { failureOf, taskQueries, useGenerationStack } from '../support/suite.js';

/** Tasks stay queued 1.2 s, then process 1.5 s: with 1 s checks, one wait sees `processing` and the next `succeeded`. */
const suite = useGenerationStack({ simulator: { schedule: { submittedMs: 1_200, processingMs: 1_500 } } });

const REQUEST = {
  model: 'kling-2.6',
  kind: 'text-to-video',
  prompt: 'A lighthouse beam sweeps across a stormy sea at night, wide shot',
  duration: 5,
} as const;
const ONE_SECOND = { initialInterval: 1_000, backoffCoefficient: 1, maxInterval: 1_000 };

function start(options: Record<string, unknown>, request: Record<string, unknown> = REQUEST) {
  return suite.env.client.workflow.start(generateVideo, {
    args: [{ request, options }],
    workflowId: uniqueId('wait'),
    taskQueue: suite.stack.taskQueue,
  });
}

async function generating(handle: WorkflowHandle) {
  for (;;) {
    const progress = await handle.query(progressQuery);
    if (progress.phase === 'generating' && progress.klingTaskId) return progress;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function eventsOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return ((await handle.fetchHistory()).events ?? []) as HistoryEvent[];
}
const scheduled = (events: HistoryEvent[], type: string) =>
  events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type).length;
/** Queries for the task: all status checks (the rehost downloads from the URL the last one read, asking nothing). */
const statusQueries = (taskId: string) => taskQueries(suite.stack.sim, taskId).length;

describe('generateVideo waits on Kling inside activity retries', () => {
  it('records one wait activity per status change and no timer, however many checks it takes', async () => {
    await suite.stack.run(async () => {
      const handle = await start({ poll: ONE_SECOND });
      const result = await handle.result();
      const events = await eventsOf(handle);
      await captureHistory(handle, 'wait-in-activity-succeeded');
      // submitted → processing, processing → succeeded: two waits, each ended by the change it waited for.
      expect(scheduled(events, 'awaitVideoTaskChange')).toBe(2);
      expect(scheduled(events, 'getVideoTaskStatus')).toBe(0);
      expect(events.filter((e) => e.timerStartedEventAttributes)).toHaveLength(0);
      // Every check the waits made is counted, and each was a real status query.
      expect(result.polls).toBeGreaterThanOrEqual(2);
      expect(result.polls).toBe(statusQueries(result.klingTaskId));
      // Issue 16's budget per video: validation is a local activity, upserts are merged, one patch marker.
      expect(events.length).toBeLessThanOrEqual(40);
      expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(1);
      const progress = await handle.query(progressQuery);
      expect(progress.klingStatus).toBe('succeeded');
    });
  });

  it('a callback wakes the wait: the waiting activity is cancelled and the task is checked at once', async () => {
    await suite.stack.run(async () => {
      // A schedule far longer than the task: only the wake-up can end this wait in time.
      const handle = await start({ poll: { initialInterval: 600_000, backoffCoefficient: 1, maxInterval: 600_000 }, deadline: 1_200_000 });
      const progress = await generating(handle);
      // Kling's callback, as the receiver forwards it, once the task really ended.
      while (suite.stack.sim.task(progress.klingTaskId!)?.status !== 'succeeded') await new Promise((r) => setTimeout(r, 100));
      await handle.signal(taskUpdatedSignal, { taskId: progress.klingTaskId, status: 'succeeded' });
      const result = await handle.result();
      const events = await eventsOf(handle);
      await captureHistory(handle, 'wait-in-activity-woken');
      expect(events.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
      expect(scheduled(events, 'getVideoTaskStatus')).toBe(1);
      expect(result.polls).toBe(1);
      expect(statusQueries(result.klingTaskId)).toBe(1);
    });
  });

  it('a callback claiming an end the query does not confirm yet is re-checked after about a second, in one wait', async () => {
    await suite.stack.run(async () => {
      const handle = await start({ poll: { initialInterval: 600_000, backoffCoefficient: 1, maxInterval: 600_000 }, deadline: 1_200_000 });
      const progress = await generating(handle);
      // Premature: the task is still queued or processing when the claim arrives.
      await handle.signal(taskUpdatedSignal, { taskId: progress.klingTaskId, status: 'succeeded' });
      const result = await handle.result();
      const events = await eventsOf(handle);
      // The immediate check, then a re-check wait (1 s, doubling) that ends with the real end.
      expect(scheduled(events, 'getVideoTaskStatus')).toBe(1);
      expect(scheduled(events, 'awaitVideoTaskChange')).toBeGreaterThanOrEqual(2);
      expect(result.polls).toBe(statusQueries(result.klingTaskId));
      expect(result.polls).toBeLessThanOrEqual(6);
    });
  });

  it('a processing deadline ends the wait the server gave up on: VideoProcessingTooLong with the last status and every check counted', async () => {
    await suite.stack.run(async () => {
      // [sim:never]: the task processes forever. The deadline falls between two checks of the schedule.
      const handle = await start({ poll: ONE_SECOND, processingDeadline: 2_500 }, { ...REQUEST, prompt: `${REQUEST.prompt} [sim:never]` });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(FailureType.VideoProcessingTooLong);
      const details = failure.details?.[0] as { taskId: string; lastStatus: string; polls: number; deadline: string };
      expect(details).toMatchObject({ deadline: 'processing', lastStatus: 'processing' });
      // The checks made inside the waits (and the one at the deadline) are all counted, each a real query.
      expect(details.polls).toBe(statusQueries(details.taskId));
      expect(details.polls).toBeGreaterThanOrEqual(3);
      const events = await eventsOf(handle);
      expect(scheduled(events, 'awaitVideoTaskChange')).toBeGreaterThanOrEqual(2);
      expect(suite.stack.sim.task(details.taskId)?.status).toBe('processing');
    });
  });

  it('cancelled while waiting in activity retries: the wait is cancelled, the run ends abandoned_billed and checks stop', async () => {
    await suite.stack.run(async () => {
      const handle = await start({ poll: ONE_SECOND });
      const progress = await generating(handle);
      await handle.cancel();
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const events = await eventsOf(handle);
      expect(events.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
      expect((await handle.query(progressQuery)).outcome).toBe('abandoned_billed');
      const atClose = statusQueries(progress.klingTaskId!);
      // Had the wait gone on, two more checks would have come by now.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(statusQueries(progress.klingTaskId!)).toBe(atClose);
    });
  });
});
