// Callbacks end to end: generateVideo on the real Temporal dev server, the simulator sending signed callbacks over
// HTTP to the receiver, fake-gcs-server storing the result. The fallback poll is slow (5 minutes unless a test
// sets its own), so a generation that finishes within the test timeout was woken by a callback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, temporalSignaller, type CallbackReceiver } from '../../src/callbacks/index.js';
import { VideoGenerationClient } from '../../src/client.js';
import type { GenerateVideoResult } from '../../src/contract/generation.js';
import { captureHistory } from '../support/histories.js';
import { uniqueId } from '../support/servers.js';
import { taskQueries, useGenerationStack } from '../support/suite.js';

const SECRET = 'whsec_ZTJlLWNhbGxiYWNrLXNlY3JldC1lMmUtY2FsbGJhY2s=';
const PROMPT = 'A red kite drifts over a chalk ridge at sunrise, long lens, slow tracking shot, soft haze';
const SLOW_FALLBACK = { initialInterval: 5 * 60_000, maxInterval: 5 * 60_000 };

let receiver: CallbackReceiver;
let videos: VideoGenerationClient;

// The receiver first: its URL goes into every create. Closed after the stack (hooks run in reverse).
afterAll(async () => receiver?.close());
const suite = useGenerationStack(async (env) => {
  receiver = await startCallbackReceiver({
    signal: temporalSignaller(env.client),
    secrets: [SECRET],
    port: 0,
    host: '127.0.0.1',
    logger: { info: () => undefined, warn: () => undefined },
  });
  return {
    // Long enough in `submitted` that the workflow's poll loop is waiting when the first callback arrives.
    simulator: { schedule: { submittedMs: 800, processingMs: 1_200 }, callbacks: { secrets: [SECRET] } },
    callbacks: { callbackUrl: `${receiver.url}/kling/callback`, callbackFallbackPoll: SLOW_FALLBACK },
  };
});
beforeAll(() => {
  videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
});

/** The result, or a clear failure when only the (slow) fallback poll could have produced it. */
async function resultWithin(workflowId: string, ms = 30_000): Promise<GenerateVideoResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${workflowId} was not woken by a callback within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([videos.result(workflowId), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Status queries the simulator answered for one task (by Kling id or external id). */
function statusQueries(taskId: string, externalTaskId: string): number {
  return taskQueries(suite.stack.sim, taskId, externalTaskId).length;
}

/**
 * The plan validateVideoRequest returned: since 'kling-wait-in-activity-v1' the result of a local activity (the
 * `result` of the run's first local-activity marker), before it the first completed activity of the run.
 */
async function planOf(workflowId: string): Promise<{ poll: { initialMs: number; maxMs: number } }> {
  const events = (await suite.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const marker = events.find((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')?.markerRecordedEventAttributes;
  const payload = marker
    ? marker.details!.result!.payloads![0]!
    : events.find((e) => e.activityTaskCompletedEventAttributes)!.activityTaskCompletedEventAttributes!.result!.payloads![0]!;
  return JSON.parse(Buffer.from(payload.data!).toString('utf8'));
}

async function signalCount(workflowId: string): Promise<number> {
  const history = await suite.env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
}

describe('Kling callbacks wake generateVideo', () => {
  it('completes on the callback, with the worker-default slow fallback poll and few status queries', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cb-fast');
      const before = receiver.counters();
      await videos.startVideoGeneration({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, { workflowId });
      const result = await resultWithin(workflowId);
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'callback-end-hints');

      expect(result.size).toBeGreaterThan(0);
      // No options.poll given: the worker's fallback schedule applies, so only a callback can have been this quick.
      expect((await planOf(workflowId)).poll).toMatchObject({ initialMs: SLOW_FALLBACK.initialInterval, maxMs: SLOW_FALLBACK.maxInterval });
      const task = suite.stack.sim.task(result.klingTaskId)!;
      expect(task.body).toMatchObject({ options: { callback_url: `${receiver.url}/kling/callback` } });
      // One create and one status query confirming the `succeeded` callback (the `processing` one wakes nothing),
      // whose video URL the rehost downloads from (RecentVideoUrls): 2 Kling calls. Polling at 5 s → 30 s would not be
      // done yet.
      expect(result.polls).toBe(1);
      expect(statusQueries(result.klingTaskId, result.externalTaskId)).toBe(1);
      expect(suite.stack.sim.requests.filter((r) => r.routeKind === 'create' && r.createdTaskId === result.klingTaskId)).toHaveLength(1);
      expect(receiver.counters().signalled - before.signalled).toBeGreaterThanOrEqual(1);
      expect(await signalCount(workflowId)).toBeGreaterThanOrEqual(1);
    });
  });

  it('duplicated and reordered callbacks (legacy bodies) are harmless: one wake-up, the rest counted', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cb-dup');
      suite.stack.sim.callbacks.script([
        { kind: 'reorder', status: 'processing', externalIdPrefix: workflowId },
        { kind: 'duplicate', copies: 3, status: 'succeeded', externalIdPrefix: workflowId },
      ]);
      const before = receiver.counters();
      await videos.startVideoGeneration({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, standard: 'legacy' }, { workflowId });
      const result = await resultWithin(workflowId);
      await suite.stack.sim.callbacks.idle();

      expect(result.standard).toBe('legacy');
      const mine = suite.stack.sim.callbacks.deliveries().filter((d) => d.externalTaskId === result.externalTaskId);
      // succeeded ×3 first, then the held-back processing.
      expect(mine.map((d) => [d.status, d.httpStatus])).toEqual([
        ['succeeded', 200],
        ['succeeded', 200],
        ['succeeded', 200],
        ['processing', 200],
      ]);
      const after = receiver.counters();
      expect(after.signalled - before.signalled).toBe(1);
      expect(after.duplicate - before.duplicate).toBe(2);
      expect(after.out_of_order - before.out_of_order).toBe(1);
      expect(await signalCount(workflowId)).toBe(1);
      expect(result.polls).toBe(1);
      expect(suite.stack.sim.tasks().filter((t) => t.externalTaskId?.startsWith(workflowId))).toHaveLength(1);
    });
  });

  it('a dropped callback costs latency, not the video: the fallback poll collects it', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cb-drop');
      suite.stack.sim.callbacks.script([{ kind: 'drop', times: 2, externalIdPrefix: workflowId }]);
      const before = receiver.counters();
      await videos.startVideoGeneration(
        { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT },
        // The caller's own schedule wins over the worker's fallback default: short here, to keep the test short.
        { workflowId, options: { poll: { initialInterval: '3s', backoffCoefficient: 1, maxInterval: '3s' } } },
      );
      const result = await resultWithin(workflowId);
      await suite.stack.sim.callbacks.idle();

      expect((await planOf(workflowId)).poll.initialMs).toBe(3_000);
      expect(
        suite.stack.sim.callbacks
          .deliveries()
          .filter((d) => d.externalTaskId === result.externalTaskId)
          .map((d) => [d.status, d.fault]),
      ).toEqual([
        ['processing', 'drop'],
        ['succeeded', 'drop'],
      ]);
      expect(receiver.counters().signalled).toBe(before.signalled);
      expect(await signalCount(workflowId)).toBe(0);
      expect(result.polls).toBeGreaterThanOrEqual(1);
    });
  });

  it('a forged signature is refused with 401 and wakes nothing', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cb-forged');
      suite.stack.sim.callbacks.script([{ kind: 'bad-signature', times: 2, externalIdPrefix: workflowId }]);
      const before = receiver.counters();
      const handle = await videos.startVideoGeneration({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, { workflowId });
      const deliveries = async () => {
        await suite.stack.sim.callbacks.idle();
        return suite.stack.sim.callbacks.deliveries().filter((d) => d.externalTaskId?.startsWith(workflowId));
      };
      const end = Date.now() + 20_000;
      while ((await deliveries()).length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));

      expect((await deliveries()).map((d) => [d.status, d.httpStatus])).toEqual([
        ['processing', 401],
        ['succeeded', 401],
      ]);
      expect(suite.stack.sim.tasks().find((t) => t.externalTaskId?.startsWith(workflowId))?.status).toBe('succeeded');
      expect(receiver.counters().rejected_signature - before.rejected_signature).toBe(2);
      expect(receiver.counters().signalled).toBe(before.signalled);
      expect(await signalCount(workflowId)).toBe(0);
      const progress = await videos.getProgress(workflowId);
      expect(progress).toMatchObject({ phase: 'generating', polls: 0 });
      await handle.terminate('forged-signature test done');
    });
  });
});
