import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient, type GenerationRequest } from '../../src/client.js';
import type { GenerationProgress } from '../../src/contract/generation.js';
import { IdempotencyConflictError, isIdempotencyConflict } from '../../src/idempotency.js';
import { KlingValidationError } from '../../src/kling/index.js';
import { FailureType } from '../../src/contract/failure-types.js';
import { KlingModel, KlingPhase, KlingTaskId } from '../../src/contract/search-attributes.js';
import { gcsStorage, uniqueId } from '../support/servers.js';
import { FAST_POLL, useGenerationStack } from '../support/suite.js';

const PROMPT = 'An old fisherman slowly mends a net on a foggy harbour pier at dawn, 35mm lens, cinematic film grain';
const T2V: GenerationRequest = { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT };

let videos: VideoGenerationClient;

const suite = useGenerationStack({ simulator: { videoSizeBytes: 2 * 1024 * 1024 } });
beforeAll(() => {
  videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('VideoGenerationClient (the typed API for backend services)', () => {
  it('refuses an invalid request at the call site, naming the field, and starts nothing', async () => {
    const workflowId = uniqueId('bad');
    const err = await videos.startVideoGeneration({ ...T2V, duration: 7 }, { workflowId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KlingValidationError);
    expect((err as KlingValidationError).issues[0]?.field).toBe('duration');
    await expect(suite.env.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
    await expect(videos.startVideoGeneration(T2V, { workflowId: 'has spaces/and slashes' })).rejects.toThrow(/workflowId/);
    // Issue 13 point 5: refused by the worker's own rules, locally (the same function), so nothing starts.
    const ext = await videos.startVideoGeneration({ ...T2V, externalTaskId: 'mine-1' } as GenerationRequest, { workflowId }).catch((e: unknown) => e);
    expect((ext as KlingValidationError).issues).toEqual([{ field: 'externalTaskId', message: 'derived from the workflow id; do not set it' }]);
    const opts = await videos.startVideoGeneration(T2V, { workflowId, options: { deadline: 'soon' } }).catch((e: unknown) => e);
    expect((opts as KlingValidationError).issues.map((i) => i.field)).toEqual(['options.deadline']);
    await expect(suite.env.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
  });

  it('starts, reports progress with bytes while rehosting, and returns the result; the same id joins the same job', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('api');
      suite.stack.sim.faults.script([{ route: 'download', kind: 'slow-body', chunkBytes: 64 * 1024, intervalMs: 40 }]);
      const handle = await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL } });
      const runId = (await handle.describe()).runId;
      const again = await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL } });
      expect((await again.describe()).runId).toBe(runId);

      const moving = await until(async () => {
        const p = await videos.getProgress(workflowId);
        return p.phase === 'rehosting' && (p.bytesTransferred ?? 0) > 0 ? p : undefined;
      });
      expect(moving.totalBytes).toBe(2 * 1024 * 1024);
      expect(moving.klingTaskId).toBeDefined();

      const result = await videos.result(workflowId);
      expect(result.size).toBe(2 * 1024 * 1024);
      expect((await videos.getProgress(workflowId)).phase).toBe('completed');
      // A completed id started again returns the finished job instead of paying for a new one.
      const afterwards = await videos.startVideoGeneration(T2V, { workflowId });
      expect((await afterwards.describe()).runId).toBe(runId);
      expect(suite.stack.sim.tasks().filter((t) => t.externalTaskId?.startsWith(workflowId))).toHaveLength(1);
      const attributes = (await handle.describe()).typedSearchAttributes;
      expect(attributes.get(KlingPhase)).toBe('completed');
      expect(attributes.get(KlingModel)).toBe('kling-2.6');
      expect(attributes.get(KlingTaskId)).toBe(result.klingTaskId);
    });
  });

  it('cancel during the download stops the transfer and stores nothing', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cancel');
      const before = suite.stack.sim.requests.length;
      suite.stack.sim.faults.script([{ route: 'download', kind: 'slow-body', chunkBytes: 16 * 1024, intervalMs: 100 }]);
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL } });
      await until(async () => ((await videos.getProgress(workflowId)).bytesTransferred ?? 0) > 0 || undefined);
      await videos.cancel(workflowId);
      const err = await videos.result(workflowId).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      // The workflow waited for the transfer to stop (WAIT_CANCELLATION_COMPLETED), so this is final.
      const history = await suite.env.client.workflow.getHandle(workflowId).fetchHistory();
      expect(history.events?.some((e) => e.activityTaskCanceledEventAttributes)).toBe(true);
      const [files] = await gcsStorage().bucket(suite.stack.bucket).getFiles();
      expect(files.filter((f) => f.metadata.metadata?.workflowId === workflowId)).toEqual([]);
      expect(suite.stack.sim.requests.slice(before).filter((r) => r.routeKind === 'download')).toHaveLength(1);
    });
  });

  it('resubmits a failed task when resubmitOnFailure allows, but never a content-policy refusal', async () => {
    await suite.stack.run(async () => {
      suite.stack.sim.failNext('Internal generation error');
      const workflowId = uniqueId('resubmit');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL, resubmitOnFailure: 1 } });
      const result = await videos.result(workflowId);
      expect(result.submissions).toBe(2);
      expect(result.externalTaskId).toMatch(/-2$/);
      expect(
        suite.stack.sim
          .tasks()
          .filter((t) => t.externalTaskId?.startsWith(workflowId))
          .map((t) => t.status),
      ).toEqual(['failed', 'succeeded']);

      suite.stack.sim.failNext('Failure to pass the risk control system');
      const policyId = uniqueId('policy');
      await videos.startVideoGeneration(T2V, { workflowId: policyId, options: { poll: FAST_POLL, resubmitOnFailure: 3 } });
      const err = (await videos.result(policyId).catch((e: unknown) => e)) as WorkflowFailedError;
      expect(err.cause).toBeInstanceOf(ApplicationFailure);
      expect((err.cause as ApplicationFailure).type).toBe(FailureType.VideoGenerationFailed);
      expect(suite.stack.sim.tasks().filter((t) => t.externalTaskId?.startsWith(policyId))).toHaveLength(1);
    });
  });

  it('generate() starts, reports each new progress and resolves with the result; list() and costs() show it', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('api-generate');
      const seen: GenerationProgress[] = [];
      const result = await videos.generate(T2V, {
        workflowId,
        options: { poll: FAST_POLL },
        onProgress: (p) => seen.push(p),
        progressIntervalMs: 100,
      });
      expect(result.klingTaskId).toBe(suite.stack.sim.tasks().find((t) => t.externalTaskId?.startsWith(workflowId))?.id);
      const phases = seen.map((p) => p.phase);
      expect(phases).toContain('generating');
      expect(phases.indexOf('generating')).toBeLessThan(phases.lastIndexOf('rehosting') === -1 ? Infinity : phases.lastIndexOf('rehosting'));
      for (let i = 1; i < seen.length; i++) expect({ ...seen[i], elapsedMs: 0 }).not.toEqual({ ...seen[i - 1], elapsedMs: 0 }); // changes only

      const listed = await until(async () => (await videos.list({ status: 'completed', limit: 50 })).find((e) => e.workflowId === workflowId));
      expect(listed).toMatchObject({ status: 'COMPLETED', model: 'kling-2.6', phase: 'completed', klingTaskId: result.klingTaskId });
      const report = await videos.costs({ since: new Date(Date.now() - 10 * 60_000), query: `WorkflowId = '${workflowId}'` });
      expect(report.entries).toHaveLength(1);
      expect(report.entries[0]).toMatchObject({
        workflowId,
        costRecorded: true,
        outcome: 'succeeded',
        estimatedCredits: 15,
        actualCredits: result.credits.actual,
      });
      expect(report.totals).toMatchObject({ generations: 1, estimatedCredits: 15 });
    });
  });

  it('generate() with an aborted signal stops waiting, and the generation goes on', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('api-abort');
      const controller = new AbortController();
      const waiting = videos.generate(T2V, {
        workflowId,
        options: { poll: FAST_POLL },
        signal: controller.signal,
        onProgress: (p) => p.phase === 'generating' && controller.abort(new Error('caller gave up')),
      });
      await expect(waiting).rejects.toThrow('caller gave up');
      const result = await videos.result(workflowId); // not cancelled: it finishes and stores the video
      expect(result.size).toBeGreaterThan(0);
    });
  });

  describe('the workflow id is an idempotency key for one request', () => {
    it('the same request joins, also written differently; a different request on a running id is refused naming the fields, and nothing starts', async () => {
      await suite.stack.run(async () => {
        const workflowId = uniqueId('idem-run');
        const handle = await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL } });
        const runId = (await handle.describe()).runId;
        // Key order and a default spelled out do not make another request.
        const same = await videos.startVideoGeneration({ prompt: PROMPT, kind: 'text-to-video', model: 'kling-2.6' }, { workflowId });
        expect((await same.describe()).runId).toBe(runId);

        const err = await videos
          .startVideoGeneration({ ...T2V, model: 'kling-3.0', prompt: 'A whale breaches at sunset' }, { workflowId })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(IdempotencyConflictError);
        expect(isIdempotencyConflict(err)).toBe(true);
        const conflict = err as IdempotencyConflictError;
        expect(conflict.workflowId).toBe(workflowId);
        expect(conflict.differingFields).toEqual(['model', 'prompt']);
        expect(conflict.existingStatus).toBe('RUNNING');
        expect(conflict.message).toContain(workflowId);
        expect(conflict.message).not.toContain('whale'); // values stay out of errors: only field names
        await videos.result(workflowId);
        const runs = [];
        for await (const run of suite.env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run.runId);
        expect(runs).toEqual([runId]);
        expect(suite.stack.sim.tasks().filter((t) => t.externalTaskId?.startsWith(workflowId))).toHaveLength(1);
      });
    });

    it('a completed id started with another request is refused instead of returning the earlier video', async () => {
      await suite.stack.run(async () => {
        const workflowId = uniqueId('idem-done');
        await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL } });
        await videos.result(workflowId);
        const err = await videos.startVideoGeneration({ ...T2V, duration: 10 }, { workflowId }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(IdempotencyConflictError);
        expect((err as IdempotencyConflictError).differingFields).toEqual(['duration']);
        expect((err as IdempotencyConflictError).existingStatus).toBe('COMPLETED');
      });
    });

    it('a batch id started again with a changed item is refused naming the item; the same batch joins', async () => {
      const workflowId = uniqueId('idem-batch');
      const items = [{ request: T2V }, { request: { ...T2V, prompt: `${PROMPT}, wide shot` } }];
      // The batch's approval gate keeps it waiting, so it is still running when started again.
      const options = { approval: { aboveCredits: 1 } };
      const handle = await videos.startBatch({ items, options }, { workflowId });
      const runId = (await handle.describe()).runId;
      const same = await videos.startBatch({ items, options }, { workflowId });
      expect((await same.describe()).runId).toBe(runId);
      const changed = [items[0]!, { request: { ...T2V, prompt: 'A different second item' } }];
      const err = await videos.startBatch({ items: changed, options }, { workflowId }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IdempotencyConflictError);
      expect((err as IdempotencyConflictError).differingFields).toContain('items[1]');
      expect((err as IdempotencyConflictError).differingFields).not.toContain('items[0]');
      await suite.env.client.workflow.getHandle(workflowId, runId).terminate('test done');
    });
  });
});
