import { describe, expect, it } from 'vitest';
import { BATCH_MEMO_KEY } from '../../src/contract/batch.js';
import { parseRequestsJsonl } from '../../src/cli/commands/batch.js';
import { VideoGenerationClient, type BatchRequest, type GenerationRequest } from '../../src/client.js';
import { KlingValidationError } from '../../src/kling/index.js';
import { FailureType } from '../../src/contract/failure-types.js';
import { batchProgressQuery, generateBatch } from '../../src/workflows/index.js';
import { captureHistory } from '../support/histories.js';
import { uniqueId } from '../support/servers.js';
import { creates, useGenerationStack } from '../support/suite.js';

const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, soft bokeh background, golden hour lighting, macro lens';
// Quicker than FAST_POLL: 200 items whose tasks end in 150 ms.
const POLL = { initialInterval: 160, backoffCoefficient: 1.2, maxInterval: 300 };
const SLOT_LIMIT = 5;

const suite = useGenerationStack({
  simulator: { schedule: { submittedMs: 50, processingMs: 100 }, videoSizeBytes: 1024, concurrency: { limit: SLOT_LIMIT, bucket: 'model' } },
});

const item = (prompt = PROMPT, extra: Partial<GenerationRequest> = {}) => ({
  request: { model: 'kling-2.6', kind: 'text-to-video', prompt, duration: 5, ...extra } satisfies GenerationRequest,
  options: { poll: POLL },
});

function start(input: BatchRequest, workflowId = uniqueId('batch')) {
  return suite.env.client.workflow.start(generateBatch, { args: [input], workflowId, taskQueue: suite.stack.taskQueue });
}

/** Most tasks unfinished at the simulator at one instant, from each task's own create and finish times. */
function maxOverlap(): number {
  const edges: Array<[number, number]> = [];
  for (const t of suite.stack.sim.tasks()) {
    edges.push([t.createdAt, 1]);
    edges.push([t.finishedAt ?? Infinity, -1]);
  }
  // At equal times a finish frees its slot before a create takes one (the simulator advances before it counts).
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (open += d));
  return max;
}

describe('generateBatch on the dev server, the Kling simulator and fake-gcs-server', () => {
  it('200 items with a slot limit of 5: never more than 5 unfinished tasks at the simulator, zero 1303, every item stored', async () => {
    suite.stack.sim.reset();
    let sampledMax = 0;
    const sampler = setInterval(() => {
      const open = suite.stack.sim.tasks().filter((t) => t.status === 'submitted' || t.status === 'processing').length;
      sampledMax = Math.max(sampledMax, open);
    }, 10);
    const handle = await suite.stack.run(async () => {
      const h = await start({ items: Array.from({ length: 200 }, (_, i) => item(`${PROMPT}, take ${i}`)), options: { concurrency: SLOT_LIMIT } });
      await expect.poll(async () => (await h.query(batchProgressQuery)).inFlight, { timeout: 20_000, interval: 100 }).toBeGreaterThan(0);
      const mid = await h.query(batchProgressQuery);
      expect(mid.total).toBe(200);
      expect(mid.buckets['video:kling-2.6']).toMatchObject({ cap: SLOT_LIMIT });
      // Slots, not items: an item whose task succeeded gives its slot back while it rehosts.
      expect(mid.buckets['video:kling-2.6']!.inFlight).toBeLessThanOrEqual(SLOT_LIMIT);
      return h;
    });
    const result = await suite.stack.run(() => handle.result()).finally(() => clearInterval(sampler));

    expect(result.items).toHaveLength(200);
    expect(result.items.every((o) => o.outcome === 'succeeded')).toBe(true);
    expect(result.progress).toMatchObject({
      total: 200,
      succeeded: 200,
      failed: 0,
      skipped: 0,
      inFlight: 0,
      waiting: 0,
      peakInFlight: SLOT_LIMIT,
      phase: 'completed',
    });
    for (const o of result.items) if (o.outcome === 'succeeded') expect(o.uri).toMatch(new RegExp(`^gs://${suite.stack.bucket}/videos/`));
    expect(new Set(result.items.map((o) => (o.outcome === 'succeeded' ? o.uri : ''))).size).toBe(200);

    expect(suite.stack.sim.requests.filter((r) => r.code === 1303)).toHaveLength(0);
    expect(creates(suite.stack.sim)).toHaveLength(200);
    expect(suite.stack.sim.tasks()).toHaveLength(200);
    expect(maxOverlap()).toBeLessThanOrEqual(SLOT_LIMIT);
    expect(sampledMax).toBeLessThanOrEqual(SLOT_LIMIT);

    // Actual credits are the simulator's deductions (10 credits per unit).
    const charged = suite.stack.sim.tasks().reduce((s, t) => s + (suite.stack.sim.task(t.id)!.chargedUnits ?? 0), 0);
    expect(result.progress.credits.actual).toBeCloseTo(charged * 10, 3);

    const history = await handle.fetchHistory();
    const events = history.events?.length ?? 0;
    console.info(`generateBatch history for 200 items: ${events} events`);
    // Bounded: about 3 child events per item plus workflow tasks; far below Temporal's 10,240-event warning.
    expect(events).toBeLessThan(2_500);

    const description = await handle.describe();
    expect(description.memo?.[BATCH_MEMO_KEY]).toMatchObject({ total: 200, succeeded: 200, phase: 'completed' });
    expect(description.searchAttributes?.KlingPhase).toEqual(['batch_completed']);
  }, 120_000);

  it('runs out of budget: items beyond maxCredits are skipped with the numbers, and never created', async () => {
    suite.stack.sim.reset();
    // kling-2.6, 5 s, 720p silent: 15 credits each. 50 credits admit three items (45), then 5 are left.
    const batchId = uniqueId('batch');
    // Through the typed client (startBatch), as a backend service would.
    const videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
    const result = await suite.stack.run(async () => {
      await videos.startBatch(
        { items: Array.from({ length: 6 }, (_, i) => item(`${PROMPT} #${i}`)), options: { maxCredits: 50 } },
        { workflowId: batchId },
      );
      return videos.batchResult(batchId);
    });
    expect(result.items.map((o) => o.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded', 'skipped', 'skipped', 'skipped']);
    expect(result.items[3]).toMatchObject({ outcome: 'skipped', estimatedCredits: 15, remainingCredits: 5, maxCredits: 50 });
    expect(result.progress).toMatchObject({ succeeded: 3, skipped: 3, credits: { budget: 50, reserved: 45 } });
    expect(creates(suite.stack.sim)).toHaveLength(3);
    // Skipped items never started a child workflow.
    for (const i of [3, 4, 5]) await expect(suite.env.client.workflow.getHandle(`${batchId}-${i}`).describe()).rejects.toThrow(/not found/i);
    expect((await suite.env.client.workflow.getHandle(`${batchId}-2`).describe()).status.name).toBe('COMPLETED');
  }, 60_000);

  it('a batch above its approval threshold waits: approved it runs (approver recorded), rejected nothing is created', async () => {
    suite.stack.sim.reset();
    const videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
    const items = Array.from({ length: 3 }, (_, i) => item(`${PROMPT} approval #${i}`)); // 3 × 15 credits
    const approvedId = uniqueId('batch');
    const rejectedId = uniqueId('batch');
    await suite.stack.run(async () => {
      await videos.startBatch({ items, options: { approval: { aboveCredits: 30, timeout: '5 minutes' } } }, { workflowId: approvedId });
      await videos.startBatch({ items, options: { approval: { aboveCredits: 30 } } }, { workflowId: rejectedId });
      for (const id of [approvedId, rejectedId])
        await expect.poll(async () => (await videos.getBatchProgress(id)).phase, { timeout: 20_000, interval: 100 }).toBe('awaiting_approval');
      expect(creates(suite.stack.sim)).toHaveLength(0); // nothing starts before the decision

      await expect(videos.approve(approvedId, { by: '' })).rejects.toMatchObject({
        cause: { message: expect.stringContaining('"by" must name who decides') },
      });
      await videos.approve(approvedId, { by: 'alice', note: 'campaign budget' });
      const approved = await videos.batchResult(approvedId);
      expect(approved.approvedBy).toBe('alice');
      expect(approved.items.map((o) => o.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);

      const before = creates(suite.stack.sim).length;
      await videos.reject(rejectedId, { by: 'bob', reason: 'not this month' });
      const err = await videos.batchResult(rejectedId).catch((e: unknown) => e as { cause?: { type?: string; message?: string } });
      expect(err).toMatchObject({ cause: { type: FailureType.ApprovalRejected } });
      expect((err as { cause: { message: string } }).cause.message).toContain('rejected by bob: not this month');
      const { currentDetails } = await suite.env.client.workflow
        .getHandle(rejectedId)
        .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(currentDetails).toMatch(/^\*\*failed\*\* — ApprovalRejected: .*rejected by bob: not this month/);
      expect(creates(suite.stack.sim)).toHaveLength(before);
      await expect(suite.env.client.workflow.getHandle(`${rejectedId}-0`).describe()).rejects.toThrow(/not found/i);
    });
  }, 60_000);

  it('one failing item and one invalid item: the others are kept, each failure typed', async () => {
    suite.stack.sim.reset();
    const batchId = uniqueId('batch');
    const result = await suite.stack.run(async () =>
      (
        await start(
          { items: [item(), item(`${PROMPT} [sim:fail boom]`), item(PROMPT, { duration: 7 }), item(`${PROMPT} again`)], options: { concurrency: 2 } },
          batchId,
        )
      ).result(),
    );
    expect(result.items.map((o) => o.outcome)).toEqual(['succeeded', 'failed', 'failed', 'succeeded']);
    expect(result.items[1]).toMatchObject({ outcome: 'failed', workflowId: `${batchId}-1`, failureType: FailureType.VideoGenerationFailed });
    expect(result.items[1]!.outcome === 'failed' && result.items[1]!.message).toContain('boom');
    expect(result.items[2]).toMatchObject({ outcome: 'failed', failureType: FailureType.InvalidVideoRequest });
    expect(result.items[2]).not.toHaveProperty('workflowId');
    expect(result.items[2]!.outcome === 'failed' && result.items[2]!.message).toContain('request.duration');
    for (const i of [0, 3]) {
      const o = result.items[i]!;
      expect(o.outcome).toBe('succeeded');
      if (o.outcome === 'succeeded') expect(await suite.stack.storage.stat(o.uri.replace(`gs://${suite.stack.bucket}/videos/`, ''))).toBeTruthy();
    }
    // The invalid item never started a child and never reached Kling.
    expect(creates(suite.stack.sim)).toHaveLength(3);
    await expect(suite.env.client.workflow.getHandle(`${batchId}-2`).describe()).rejects.toThrow(/not found/i);
    expect((await suite.env.client.workflow.getHandle(`${batchId}-1`).describe()).status.name).toBe('FAILED');
    expect(result.progress).toMatchObject({ succeeded: 2, failed: 2, skipped: 0 });
    await captureHistory(suite.env.client.workflow.getHandle(batchId), 'batch-mixed');
  }, 60_000);

  it('a 1303 caused by another client of the account is retried by the submit activity; the items still succeed', async () => {
    suite.stack.sim.reset();
    // Another client fills the bucket's five slots with tasks that do not finish until released below.
    const others = await Promise.all(
      Array.from({ length: SLOT_LIMIT }, (_, i) =>
        suite.stack.kling.createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: `other client ${i} [sim:never]`, duration: 5 }),
      ),
    );
    const result = await suite.stack.run(async () => {
      const handle = await start({ items: [item(), item(`${PROMPT} second`)], options: { concurrency: 2 } });
      await expect.poll(() => suite.stack.sim.requests.filter((r) => r.code === 1303).length, { timeout: 20_000, interval: 50 }).toBeGreaterThan(0);
      expect((await handle.query(batchProgressQuery)).failed).toBe(0);
      for (const t of others) suite.stack.sim.completeTask(t.taskId);
      return handle.result();
    });
    expect(result.items.map((o) => o.outcome)).toEqual(['succeeded', 'succeeded']);
    expect(result.progress.peakInFlight).toBe(2);
  }, 60_000);

  it('startBatch validates locally: an invalid item names its field and nothing starts', async () => {
    const videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
    const batchId = uniqueId('batch');
    const err = await videos
      .startBatch({ items: [item(), item(PROMPT, { duration: 7 })], options: { concurrency: 2 } }, { workflowId: batchId })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KlingValidationError);
    expect((err as KlingValidationError).issues.map((i) => i.field)).toEqual(['items[1].request.duration']);
    const bad = await videos.startBatch({ items: [item()], options: { concurrency: 0 } }, { workflowId: batchId }).catch((e: unknown) => e);
    expect((bad as KlingValidationError).issues.map((i) => i.field)).toEqual(['options.concurrency']);
    await expect(suite.env.client.workflow.getHandle(batchId).describe()).rejects.toThrow(/not found/i);
  });

  it('kling-video batch reads JSONL: bare requests or {request, options}; a bad line is named', () => {
    const { items, lines } = parseRequestsJsonl(
      '{"model":"kling-2.6","kind":"text-to-video","prompt":"a","duration":5}\n\n{"request":{"model":"kling-2.6","kind":"text-to-video","prompt":"b"},"options":{"maxCredits":20}}\n',
    );
    expect(items).toEqual([
      { request: { model: 'kling-2.6', kind: 'text-to-video', prompt: 'a', duration: 5 } },
      { request: { model: 'kling-2.6', kind: 'text-to-video', prompt: 'b' }, options: { maxCredits: 20 } },
    ]);
    expect(lines).toEqual([1, 3]);
    expect(() => parseRequestsJsonl('{"model":"kling-2.6"}\nnot json\n[1]')).toThrow(
      /line 1 \(item 0\) kind: .*line 2 \(item 1\): not JSON.*line 3 \(item 2\): expected a JSON object/,
    );
  });
});
