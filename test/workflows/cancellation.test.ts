// Honest cancellation and unknown submissions on real Temporal. Kling cannot stop a task: cancelling before
// submission spends nothing; after it, the task is recorded as abandoned and billed (or, with
// collectAfterCancel, collected anyway). A create whose outcome is unknown is looked up before any resubmission.
// The crash of a worker process between create and response is covered by test/resilience/worker-crash.test.ts.
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient, type GenerationRequest } from '../../src/client.js';
import { COST_MEMO_KEY, CostRecord } from '../../src/contract/costs.js';
import { KlingPhase } from '../../src/contract/search-attributes.js';
import { progressQuery } from '../../src/workflows/index.js';
import { captureHistory } from '../support/histories.js';
import { gcsStorage, uniqueId } from '../support/servers.js';
import { creates, FAST_POLL, useGenerationStack } from '../support/suite.js';

const PROMPT = 'A hummingbird hovers at a red hibiscus flower, slow motion, backlit by the morning sun, macro lens';
const POLL = { ...FAST_POLL, maxInterval: 500 };
const T2V: GenerationRequest = { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 };

let videos: VideoGenerationClient;

// Tasks process for 3 s: time to cancel while Kling is still working.
const suite = useGenerationStack({ simulator: { schedule: { submittedMs: 100, processingMs: 3_000 } } });
beforeAll(() => {
  videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
});

const tasksOf = (workflowId: string) => suite.stack.sim.tasks().filter((t) => t.externalTaskId?.startsWith(workflowId));
async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`${what}: not in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function memoOf(workflowId: string): Promise<CostRecord> {
  return CostRecord.parse((await suite.env.client.workflow.getHandle(workflowId).describe()).memo?.[COST_MEMO_KEY]);
}

async function expectCancelled(workflowId: string) {
  const err = await videos.result(workflowId).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
}

async function storedObjectsOf(workflowId: string) {
  const [files] = await gcsStorage().bucket(suite.stack.bucket).getFiles();
  return files.filter((f) => f.metadata.metadata?.workflowId === workflowId);
}

describe('cancellation', () => {
  it('before submission: nothing is sent to Kling; the memo and the progress query say cancelled_before_submit', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cxl-before');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL, approval: { aboveCredits: 0 } } });
      await until('awaiting approval', async () => (await videos.getProgress(workflowId)).phase === 'awaiting_approval');
      await videos.cancel(workflowId);
      await expectCancelled(workflowId);
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'cancelled-before-submit');
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(0);
      expect(await memoOf(workflowId)).toMatchObject({
        outcome: 'cancelled_before_submit',
        cancelled: 'before_submit',
        submission: 'none',
        estimatedCredits: 15,
      });
      const progress = await suite.env.client.workflow.getHandle(workflowId).query(progressQuery);
      expect(progress).toMatchObject({ phase: 'cancelled', outcome: 'cancelled_before_submit' });
      expect((await suite.env.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(KlingPhase)).toBe('cancelled');
    });
  });

  it('after submission: polling stops, the outcome is abandoned_billed with the Kling task id, and Kling still finishes (and bills) the task', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cxl-after');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL } });
      const progress = await until('generating', async () => {
        const p = await videos.getProgress(workflowId);
        return p.phase === 'generating' && p.klingTaskId ? p : undefined;
      });
      await videos.cancel(workflowId);
      await expectCancelled(workflowId);
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'cancelled-abandoned-billed');
      const memo = await memoOf(workflowId);
      expect(memo).toMatchObject({
        outcome: 'abandoned_billed',
        cancelled: 'after_submit',
        submission: 'submitted',
        klingTaskId: progress.klingTaskId,
      });
      expect(memo.actualUnits).toBeUndefined(); // still processing when abandoned: not known, not assumed

      // Polling stopped: no status query for the task after the workflow closed; Kling runs it to the end anyway.
      const count = (kind: string) => suite.stack.sim.requests.filter((r) => r.routeKind === kind).length;
      const queriesAtClose = count('query');
      const downloadsAtClose = count('download');
      const task = await until('the task to finish on Kling’s side', () => {
        const t = suite.stack.sim.task(progress.klingTaskId!);
        return t?.status === 'succeeded' ? t : undefined;
      });
      expect(task.chargedUnits).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1_000)); // two more poll intervals, had polling gone on
      expect(count('query')).toBe(queriesAtClose);
      expect(count('download')).toBe(downloadsAtClose);
      expect(await storedObjectsOf(workflowId)).toEqual([]);
      expect(tasksOf(workflowId)).toHaveLength(1);
    });
  });

  it('after submission with collectAfterCancel: the billed video is still downloaded and stored, and the result says so', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cxl-collect');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL, collectAfterCancel: true } });
      await until('generating', async () => (await videos.getProgress(workflowId)).phase === 'generating');
      await videos.cancel(workflowId);
      const result = await videos.result(workflowId);
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'cancelled-collected');
      expect(result.collectedAfterCancel).toBe(true);
      expect(result.credits.actual).toBe(suite.stack.sim.task(result.klingTaskId)!.chargedUnits! * 10);
      expect(await storedObjectsOf(workflowId)).toHaveLength(1);
      expect(await memoOf(workflowId)).toMatchObject({
        outcome: 'collected_after_cancel',
        cancelled: 'after_submit',
        klingTaskId: result.klingTaskId,
      });
      expect(tasksOf(workflowId)).toHaveLength(1);
    });
  });
});

describe('submission with an unknown outcome', () => {
  it('a create answered 5xx is recorded as unknown, looked up again, and only then resubmitted under the same external id: one task', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('unknown');
      suite.stack.sim.faults.script([{ route: 'create', kind: 'http-5000' }]);
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL } });
      const result = await videos.result(workflowId);
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'submission-unknown');
      expect(tasksOf(workflowId)).toHaveLength(1);
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(2);
      expect(result.submissions).toBe(1);
      // The workflow's own record of it: a lookup activity between the two submit activities.
      const history = await suite.env.client.workflow.getHandle(workflowId).fetchHistory();
      const activities = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
      const firstSubmit = activities.indexOf('submitVideoTask');
      expect(activities.slice(firstSubmit, firstSubmit + 3)).toEqual(['submitVideoTask', 'findVideoTask', 'submitVideoTask']);
      expect(await memoOf(workflowId)).toMatchObject({ submission: 'submitted', outcome: 'succeeded' });
    });
  });

  it('a create Kling accepted but whose response was lost is found by external id: never paid twice', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('lost');
      suite.stack.sim.faults.script([{ route: 'create', kind: 'accept-then-reset' }]);
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL } });
      const result = await videos.result(workflowId);
      expect(tasksOf(workflowId)).toHaveLength(1);
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(1);
      expect(tasksOf(workflowId)[0]!.id).toBe(result.klingTaskId);
    });
  });

  it('a create accepted but unanswered, then lookups failing six times: still unknown, looked up until Kling answers; one task', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('lost-lookups');
      // One lookup inside the submit activity, five attempts of the workflow's lookup activity: all answered 503.
      suite.stack.sim.faults.script([
        { route: 'create', kind: 'accept-then-reset' },
        { route: 'query', kind: 'http-5001', times: 6 },
      ]);
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL } });
      const result = await videos.result(workflowId);
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(1);
      expect(tasksOf(workflowId)).toHaveLength(1);
      expect(result.klingTaskId).toBe(tasksOf(workflowId)[0]!.id);
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'submission-unknown-lookups-failing');
      expect(suite.stack.sim.faults.pending()).toBe(0); // every failing lookup really happened
      const history = await suite.env.client.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      const typeOf = new Map(events.map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name]));
      const failed = events.flatMap((e) =>
        e.activityTaskFailedEventAttributes ? [typeOf.get(String(e.activityTaskFailedEventAttributes.scheduledEventId))] : [],
      );
      // The submit ended unknown; the lookup activity ran out of attempts once, and the workflow looked again.
      expect(failed).toEqual(['submitVideoTask', 'findVideoTask']);
      expect(await memoOf(workflowId)).toMatchObject({ submission: 'submitted', outcome: 'succeeded' });
      expect((await memoOf(workflowId)).pendingExternalTaskId).toBeUndefined();
    });
  });

  it('a re-run of a workflow id whose run ended while its create was unknown collects that task instead of paying again', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('rerun-unknown');
      suite.stack.sim.faults.script([
        { route: 'create', kind: 'accept-then-reset' },
        { route: 'query', kind: 'http-5001', times: 1_000 },
      ]);
      const firstRunId = (await (await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL } })).describe()).runId;
      const memo = await until('the memo to record the unknown submission', async () => {
        const m = await memoOf(workflowId).catch(() => undefined);
        return m?.submission === 'unknown' ? m : undefined;
      });
      expect(memo.pendingExternalTaskId).toMatch(new RegExp(`^${workflowId}-r[0-9a-f]{12}-1$`));
      expect(memo.requestSha256).toMatch(/^[0-9a-f]{64}$/);
      // The operator gives up on the run (Kling is down); the task it created lives on and will be billed.
      await suite.env.client.workflow.getHandle(workflowId, firstRunId).terminate('Kling looked down');
      suite.stack.sim.faults.clear();
      const [orphan] = tasksOf(workflowId);
      expect(orphan?.externalTaskId).toBe(memo.pendingExternalTaskId);

      const second = await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL } });
      expect((await second.describe()).runId).not.toBe(firstRunId);
      const result = await videos.result(workflowId);
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(1);
      expect(tasksOf(workflowId)).toHaveLength(1);
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'rerun-collects-earlier-task');
      expect(result).toMatchObject({ klingTaskId: orphan!.id, externalTaskId: memo.pendingExternalTaskId, submissions: 0 });
      expect(await storedObjectsOf(workflowId)).toHaveLength(1);
    });
  });

  it('a run that timed out while Kling processed names the task and the adopt input; a re-run with the same request collects it, a changed request pays for its own', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('rerun-timeout');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL, deadline: 1_000 } });
      const err = await videos.result(workflowId).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const failure = (err as WorkflowFailedError).cause as { type?: string; details?: unknown[] };
      expect(failure.type).toBe('VideoGenerationTimedOut');
      const [task] = tasksOf(workflowId);
      expect(failure.details?.[0]).toMatchObject({
        taskId: task!.id,
        externalTaskId: task!.externalTaskId,
        adopt: { taskId: task!.id, standard: 'new', kind: 'text-to-video' },
      });
      // The Web UI's current details say how it ended and what to do next: the adopt command.
      const { currentDetails } = await suite.env.client.workflow
        .getHandle(workflowId)
        .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(currentDetails).toMatch(/^\*\*failed\*\* — outcome `timed_out`, VideoGenerationTimedOut: /);
      expect(currentDetails).toContain(`next: collect the task instead of paying for a new one: \`kling-video adopt ${task!.id}\``);

      // Same id, another prompt: not the earlier run's request, so its task is not taken.
      const changed = uniqueId('rerun-changed');
      await videos.startVideoGeneration(T2V, { workflowId: changed, options: { poll: POLL, deadline: 1_000 } });
      await videos.result(changed).catch(() => undefined);
      await videos.startVideoGeneration({ ...T2V, prompt: `${PROMPT}, at dusk` }, { workflowId: changed, options: { poll: POLL } });
      const own = await videos.result(changed);
      expect(creates(suite.stack.sim, { workflowId: changed }).length).toBe(2);
      expect(own.klingTaskId).not.toBe(tasksOf(changed)[0]!.id);

      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: POLL } });
      const result = await videos.result(workflowId);
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(1);
      expect(result).toMatchObject({ klingTaskId: task!.id, externalTaskId: task!.externalTaskId, submissions: 0 });
    });
  });
});
