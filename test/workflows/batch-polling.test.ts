// Batched status queries and early slot release in generateBatch, on the dev server, the simulator and fake-gcs.
import { describe, expect, it } from 'vitest';
import type { GenerateBatchInput } from '../../src/contract/batch.js';
import type { GenerateVideoResult } from '../../src/contract/generation.js';
import { batchProgressQuery, generateBatch } from '../../src/workflows/index.js';
import { captureHistory } from '../support/histories.js';
import { uniqueId } from '../support/servers.js';
import { useGenerationStack } from '../support/suite.js';

const PROMPT = 'A red fox trotting through fresh snow at dawn, low tracking shot, soft pink light, shallow depth of field';

const suite = useGenerationStack({
  simulator: { schedule: { submittedMs: 400, processingMs: 1_200 }, videoSizeBytes: 4096, concurrency: { limit: 50, bucket: 'model' } },
});

const item = (i: number, request: Record<string, unknown> = {}, options?: Record<string, unknown>) => ({
  request: { model: 'kling-2.6', kind: 'text-to-video', prompt: `${PROMPT}, take ${i}`, duration: 5, ...request },
  ...(options ? { options } : {}),
});

async function runBatch(input: GenerateBatchInput, prefix: string) {
  const workflowId = uniqueId(prefix);
  const handle = await suite.env.client.workflow.start(generateBatch, { args: [input], workflowId, taskQueue: suite.stack.taskQueue });
  const result = await suite.stack.run(() => handle.result());
  return { workflowId, handle, result };
}

const itemResult = (batchId: string, index: number) =>
  suite.env.client.workflow.getHandle(`${batchId}-${index}`).result() as Promise<GenerateVideoResult>;

/** The watcher's lookups: `GET /tasks?external_task_ids=…` of this batch's items. */
const watcherCalls = (batchId: string) =>
  suite.stack.sim.requests.filter((r) => r.method === 'GET' && r.path === '/tasks' && (r.query.external_task_ids ?? '').startsWith(`${batchId}-`));

/** The watcher's calls grouped by tick (calls of one tick follow each other within a few hundred ms). */
function ticks(calls: ReturnType<typeof watcherCalls>): Array<typeof calls> {
  const groups: Array<typeof calls> = [];
  for (const call of calls) {
    const last = groups.at(-1);
    if (last !== undefined && call.at - last.at(-1)!.at < 400) last.push(call);
    else groups.push([call]);
  }
  return groups;
}

async function signalsOf(workflowId: string): Promise<Array<{ snapshot?: { status: string } }>> {
  const history = await suite.env.client.workflow.getHandle(workflowId).fetchHistory();
  const out = [];
  for (const event of history.events ?? []) {
    const attrs = event.workflowExecutionSignaledEventAttributes;
    if (attrs?.signalName !== 'klingTaskUpdated') continue;
    const payload = attrs.input?.payloads?.[0];
    out.push(payload ? await suite.env.client.options.loadedDataConverter.payloadConverter.fromPayload(payload) : {});
  }
  return out as Array<{ snapshot?: { status: string } }>;
}

describe('generateBatch: batched status queries', () => {
  it('45 new-standard items: the batch looks them up 20 per call (⌈in flight / 20⌉ calls per tick), items make no status query of their own', async () => {
    const n = 45;
    const { workflowId, result } = await runBatch(
      { items: Array.from({ length: n }, (_, i) => item(i, { standard: 'new' })), options: { concurrency: n, batchPolling: { interval: '1s' } } },
      'bpoll',
    );

    expect(result.progress).toMatchObject({ total: n, succeeded: n, failed: 0, polledByBatch: 0 });
    const calls = watcherCalls(workflowId);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      const ids = call.query.external_task_ids!.split(',');
      expect(ids.length).toBeGreaterThanOrEqual(1);
      expect(ids.length).toBeLessThanOrEqual(20);
      expect(call.status).toBe(200);
    }
    const perTick = ticks(calls);
    for (const tick of perTick) {
      const ids = tick.flatMap((c) => c.query.external_task_ids!.split(','));
      expect(new Set(ids).size).toBe(ids.length);
      expect(tick.length).toBe(Math.ceil(ids.length / 20));
    }
    // Well below one call per item per tick (45 per tick without batching).
    expect(Math.max(...perTick.map((t) => t.length))).toBeLessThanOrEqual(Math.ceil(n / 20));

    // The items' own fallback poll is 2 minutes: they finished only because the batch woke them with its readings.
    const items = await Promise.all(Array.from({ length: n }, (_, i) => itemResult(workflowId, i)));
    expect(items.map((r) => r.polls)).toEqual(new Array(n).fill(0));
    const signals = await signalsOf(`${workflowId}-0`);
    expect(signals.length).toBeGreaterThanOrEqual(1);
    expect(signals.at(-1)?.snapshot?.status).toBe('succeeded');
    // Each item: one create, one lookup by the rehost (its download URL), nothing else of its own.
    expect(suite.stack.sim.tasks().filter((t) => t.externalTaskId?.startsWith(`${workflowId}-`))).toHaveLength(n);
    // Actual costs still arrive through the batch's readings.
    expect(result.items.every((o) => o.outcome === 'succeeded' && o.actualCredits !== undefined && o.actualCredits > 0)).toBe(true);
  });

  it('legacy items and items of a batch with batchPolling off poll their own tasks; a new-standard item of the same batch is looked up by the batch', async () => {
    // The two batches run side by side (each checked by its own workflow id).
    const [mixed, off] = await Promise.all([
      runBatch({ items: [item(0, { standard: 'legacy' }), item(1, { standard: 'new' })], options: { batchPolling: { interval: '1s' } } }, 'bmixed'),
      runBatch({ items: [item(0, { standard: 'new' }), item(1, { standard: 'new' })], options: { batchPolling: { enabled: false } } }, 'boff'),
    ]);
    await captureHistory(mixed.handle, 'batch-polled');
    expect(mixed.result.progress.succeeded).toBe(2);
    const [legacy, batched] = await Promise.all([itemResult(mixed.workflowId, 0), itemResult(mixed.workflowId, 1)]);
    expect(legacy.standard).toBe('legacy');
    expect(legacy.polls).toBeGreaterThanOrEqual(1);
    expect(batched.polls).toBe(0);
    for (const call of watcherCalls(mixed.workflowId)) expect(call.query.external_task_ids).not.toContain(`${mixed.workflowId}-0-`);

    expect(off.result.progress).toMatchObject({ succeeded: 2 });
    expect(watcherCalls(off.workflowId)).toHaveLength(0);
    for (const r of await Promise.all([itemResult(off.workflowId, 0), itemResult(off.workflowId, 1)])) expect(r.polls).toBeGreaterThanOrEqual(1);
  });

  it('lookups answered with 5xx are logged and retried on the next tick: every item still ends through the batch', async () => {
    suite.stack.sim.faults.script([{ route: 'query', standard: 'new', kind: 'http-5000', times: 6 }]);
    const { workflowId, result } = await runBatch(
      { items: Array.from({ length: 4 }, (_, i) => item(i, { standard: 'new' })), options: { batchPolling: { interval: '500ms' } } },
      'bfault',
    );
    suite.stack.sim.faults.clear();
    expect(result.progress).toMatchObject({ succeeded: 4, failed: 0 });
    // Every 5xx went to the batch's lookups (the items, on a 2-minute fallback, asked nothing) …
    const faulted = suite.stack.sim.requests.filter((r) => r.fault === 'http-5000');
    expect(faulted).toHaveLength(6);
    for (const r of faulted) expect(r.query.external_task_ids).toMatch(new RegExp(`^${workflowId}-`));
    // … and the items still finished through the batch's readings.
    for (const r of await Promise.all([0, 1, 2, 3].map((i) => itemResult(workflowId, i)))) expect(r.polls).toBe(0);
    expect(suite.stack.sim.tasks().filter((t) => t.externalTaskId?.startsWith(`${workflowId}-`))).toHaveLength(4);
  });

  it('a watcher that does not come back in time costs latency, never an item: the items fall back to their own polls', async () => {
    const { workflowId, result } = await runBatch(
      {
        items: Array.from({ length: 3 }, (_, i) => item(i, { standard: 'new' })),
        options: { batchPolling: { interval: '1 hour', childPollInterval: '1s' } },
      },
      'bslow',
    );
    expect(result.progress).toMatchObject({ succeeded: 3, failed: 0 });
    for (const r of await Promise.all([0, 1, 2].map((i) => itemResult(workflowId, i)))) expect(r.polls).toBeGreaterThanOrEqual(1);
  });
});

describe('generateBatch: early slot release', () => {
  it('an item gives its slot back when its Kling task succeeded: the next item starts while the first is still rehosting', async () => {
    // Item 0's download crawls (4 KiB in 256-byte chunks every 150 ms ≈ 2.4 s); concurrency 1.
    suite.stack.sim.faults.script([{ route: 'download', kind: 'slow-body', chunkBytes: 256, intervalMs: 150 }]);
    const { workflowId, handle, result } = await runBatch(
      { items: [item(0, { standard: 'new' }), item(1, { standard: 'new' })], options: { concurrency: 1, batchPolling: { interval: '500ms' } } },
      'bslot',
    );
    await captureHistory(handle, 'batch-slot-release');
    await captureHistory(suite.env.client.workflow.getHandle(`${workflowId}-0`), 'batch-item-slot-release');
    expect(result.progress).toMatchObject({ succeeded: 2, peakInFlight: 1 });

    const first = await suite.env.client.workflow.getHandle(`${workflowId}-0`).describe();
    const [task0, task1] = [0, 1].map((i) => suite.stack.sim.tasks().find((t) => t.externalTaskId?.startsWith(`${workflowId}-${i}-`))!);
    // The second task was created before the first item's workflow ended (it was still downloading) …
    expect(task1!.createdAt).toBeLessThan(first.closeTime!.getTime());
    // … and never while the first task was unfinished at Kling: the slot was Kling's to give back.
    expect(task1!.createdAt).toBeGreaterThanOrEqual(task0!.finishedAt!);
    const progress = await handle.query(batchProgressQuery);
    expect(progress.buckets['video:kling-2.6']).toEqual({ inFlight: 0, cap: 1 });
  });
});
