// Account-wide slot admission (issue 17, docs/slots.md) on real Temporal and the simulator with 5 slots per bucket:
// standalone generations never provoke a 1303, a slot held by a terminated run comes back after the lease (or stays
// while its Kling task still runs), tasks created outside the project cause no failure, and the entity keeps its
// holders, queue and leases across continue-as-new.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { accountSlotsQuery, accountSlotsWorkflowId, emptySlotsState, type AccountSlotsView } from '../../src/contract/slot-messages.js';
import { KlingClient } from '../../src/kling/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { createGcsStorage } from '../../src/storage/index.js';
import { createKlingWorker } from '../../src/worker.js';
import { accountSlots, generateBatch, generateVideo, progressQuery } from '../../src/workflows/index.js';
import { SIM_CREDENTIALS, simulatorVideoHosts, type Simulator } from '../support/generation-stack.js';
import { captureHistory } from '../support/histories.js';
import { createDevServerEnv, gcsStorage, uniqueBucketName, uniqueId } from '../support/servers.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';

const PROMPT = 'A paper boat drifts down a rain-soaked street gutter, low angle macro shot, overcast light, shallow depth of field';
const request = (model: string, prompt = PROMPT) => ({ model, kind: 'text-to-video', prompt, duration: 5 });
const FAST_POLL = { initialInterval: 200, backoffCoefficient: 1.5, maxInterval: 500 } as const;
/** A poll that does not come back before the test is over: the run keeps its slot after its task ended. */
const SLOW_POLL = { initialInterval: '10 minutes', backoffCoefficient: 1, maxInterval: '10 minutes' } as const;
const LEASE_CHECK_MS = 500;

let env: TestWorkflowEnvironment;
let sim: Simulator;
let kling: KlingClient;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
let workerDeps: Parameters<typeof createKlingWorker>[0]['deps'];
let workflowBundle: Awaited<ReturnType<typeof bundleWorkflows>>;

beforeAll(async () => {
  env = await createDevServerEnv();
  // 5 slots per model at the simulator (NEW §6's trial pack); tasks take about 1.6 s.
  sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 1_500 }, concurrency: { limit: 5, bucket: 'model' } });
  kling = new KlingClient({ baseUrl: sim.url, credentials: SIM_CREDENTIALS, requestTimeoutMs: 5_000 });
  const gcs = gcsStorage();
  const bucket = uniqueBucketName('kt');
  await gcs.createBucket(bucket);
  taskQueue = uniqueId('tq-slots');
  workerDeps = {
    kling,
    storage: createGcsStorage({ bucket, prefix: 'videos', urlMode: 'public', storage: gcs, apiEndpoint: gcs.apiEndpoint }),
    limitRetryDelays: { rateLimitMs: 200, concurrencyLimitMs: 500 },
    videoHosts: simulatorVideoHosts(sim),
    // KLING_SLOTS=5, with a short lease check so a reclaim shows within a second.
    accountSlots: { default: 5, perModel: {}, leaseCheckMs: LEASE_CHECK_MS },
  };
  workflowBundle = await bundleWorkflows('src/workflows/index.ts');
  worker = await createKlingWorker({ connection: env.nativeConnection, namespace: env.namespace, taskQueue, deps: workerDeps, workflowBundle });
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await sim?.close();
  await env?.teardown();
});

const start = (input: GenerateVideoInput, prefix = 'slots') =>
  env.client.workflow.start(generateVideo, { args: [input], workflowId: uniqueId(prefix), taskQueue });
const refusedCreates = () => sim.requests.filter((r) => r.routeKind === 'create' && r.code === 1303).length;
const createsOf = (workflowId: string) => sim.requests.filter((r) => r.routeKind === 'create' && JSON.stringify(r.body ?? '').includes(workflowId));
const slotsOf = (model: string) => env.client.workflow.getHandle(accountSlotsWorkflowId(taskQueue, `video:${model}`)).query(accountSlotsQuery);

/** Polls `read` until `ok` holds (the entity acts on its own timers); fails with the last value after `ms`. */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch {
      // Not started yet.
    }
    if (Date.now() > until) throw new Error(`condition not reached; last value ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('account-wide slot admission', () => {
  it('12 standalone generations started together on 5 slots: no create refused with 1303, every one succeeds, the late ones wait in the queue', async () => {
    const before = refusedCreates();
    const handles = await Promise.all(Array.from({ length: 12 }, () => start({ request: request('kling-2.6'), options: { poll: FAST_POLL } })));
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results.map((r) => r.submissions)).toEqual(Array(12).fill(1));
    expect(refusedCreates() - before).toBe(0);

    // At most 5 at once could hold a slot: at least 7 waited for a grant (a `slotGranted` signal in their history).
    const waited: typeof handles = [];
    for (const h of handles) {
      const history = await h.fetchHistory();
      if (history.events?.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'slotGranted')) waited.push(h);
    }
    expect(waited.length).toBeGreaterThanOrEqual(7);
    const progress = await waited[0]!.query(progressQuery);
    expect(progress.slot).toMatchObject({ bucket: 'video:kling-2.6', state: 'released', limit: 5 });
    expect(progress.slot!.waitedMs).toBeGreaterThan(0);
    await captureHistory(waited[0]!, 'account-slots-waited');

    const slots = await eventually(
      () => slotsOf('kling-2.6'),
      (s) => s.holders.length === 0,
    );
    expect(slots).toMatchObject({ limit: 5, queue: [], refused: 0, reclaimed: 0 });
    expect(slots.granted).toBeGreaterThanOrEqual(12);
    // The entity's own history (updates, grant and release signals, lease checks) replays like the generations'.
    await captureHistory(env.client.workflow.getHandle(accountSlotsWorkflowId(taskQueue, 'video:kling-2.6')), 'account-slots-entity');
  });

  it('a batch of 8 (its own concurrency 5) and 4 standalone generations at once share the 5 slots: no create refused, every one succeeds', async () => {
    const before = refusedCreates();
    const items = Array.from({ length: 8 }, () => ({ request: request('kling-2.6'), options: { poll: FAST_POLL } }));
    const batch = await env.client.workflow.start(generateBatch, {
      args: [{ items, options: { concurrency: 5 } }],
      workflowId: uniqueId('slots-batch'),
      taskQueue,
    });
    const standalone = await Promise.all(
      Array.from({ length: 4 }, () => start({ request: request('kling-2.6'), options: { poll: FAST_POLL } }, 'slots-mixed')),
    );
    const [result, ...singles] = await Promise.all([batch.result(), ...standalone.map((h) => h.result())]);
    expect(result.progress).toMatchObject({ total: 8, succeeded: 8, failed: 0 });
    expect(singles).toHaveLength(4);
    expect(refusedCreates() - before).toBe(0);
    const slots = await eventually(
      () => slotsOf('kling-2.6'),
      (s) => s.holders.length === 0,
    );
    expect(slots.queue).toEqual([]);
  });

  it('a waiting generation shows waiting_for_slot with its queue position in the progress query; a higher slotPriority goes first', async () => {
    // Five runs hold every slot of this bucket (their polls do not come back), a sixth waits.
    const holders = await Promise.all(
      Array.from({ length: 5 }, () => start({ request: request('kling-3.0'), options: { poll: SLOW_POLL } }, 'slots-hold')),
    );
    await eventually(
      () => slotsOf('kling-3.0'),
      (s) => s.holders.length === 5,
    );
    const waiter = await start({ request: request('kling-3.0'), options: { poll: FAST_POLL } }, 'slots-wait');
    const waiting = await eventually(
      () => waiter.query(progressQuery),
      (p) => p.phase === 'waiting_for_slot',
    );
    expect(waiting.slot).toMatchObject({ bucket: 'video:kling-3.0', state: 'waiting', position: 1, holders: 5, limit: 5 });
    expect(createsOf(waiter.workflowId)).toHaveLength(0);

    // A later request with a higher slotPriority goes ahead of it in the queue.
    const urgent = await start({ request: request('kling-3.0'), options: { poll: FAST_POLL, slotPriority: 5 } }, 'slots-urgent');
    const queued = await eventually(
      () => slotsOf('kling-3.0'),
      (s) => s.queue.length === 2,
    );
    expect(queued.queue.map((w) => [w.workflowId, w.priority])).toEqual([
      [urgent.workflowId, 5],
      [waiter.workflowId, 0],
    ]);

    // A holder ends (cancelled): its slot goes to the urgent request first, the next one to the waiter; both complete.
    await holders[0]!.cancel();
    await eventually(
      async () => createsOf(urgent.workflowId).length,
      (n) => n === 1,
    );
    expect(createsOf(waiter.workflowId)).toHaveLength(0);
    await holders[1]!.cancel();
    const results = await Promise.all([urgent.result(), waiter.result()]);
    expect(results.map((r) => r.submissions)).toEqual([1, 1]);
    for (const h of holders.slice(2)) await h.terminate('test over');
  });

  it('a run terminated while holding a slot: the slot comes back after the lease once its Kling task has ended, and stays while the task still runs', async () => {
    const model = 'kling-2.5-turbo';
    // The task ends in about 1.6 s; the run would poll only after 10 minutes, so it still holds the slot when terminated.
    const ended = await start({ request: request(model), options: { poll: SLOW_POLL } }, 'slots-lease');
    await eventually(
      () => slotsOf(model),
      (s) => s.holders.some((h) => h.workflowId === ended.workflowId),
    );
    await eventually(
      async () => createsOf(ended.workflowId).filter((r) => r.createdTaskId !== undefined).length,
      (n) => n === 1,
    );
    // A task Kling never finishes ([sim:never]): its slot must survive the run.
    const stuck = await start({ request: request(model, `${PROMPT} [sim:never]`), options: { poll: SLOW_POLL } }, 'slots-stuck');
    await eventually(
      async () => createsOf(stuck.workflowId).filter((r) => r.createdTaskId !== undefined).length,
      (n) => n === 1,
    );
    await new Promise((r) => setTimeout(r, 2_000)); // the first task has ended at Kling
    await ended.terminate('simulated operator terminate');
    await stuck.terminate('simulated operator terminate');

    const slots = await eventually(
      () => slotsOf(model),
      (s) => s.reclaimed === 1 && s.holders.length === 1 && s.holders[0]!.orphaned === true,
    );
    expect(slots.holders[0]!.workflowId).toBe(stuck.workflowId);
    // Lease checks keep running while the slot is held; the stuck task keeps it.
    await new Promise((r) => setTimeout(r, 3 * LEASE_CHECK_MS));
    expect((await slotsOf(model)).holders.map((h) => h.workflowId)).toEqual([stuck.workflowId]);
  });

  it('tasks created outside the project take 2 of the 5 slots: every generation succeeds, and the entity learns the smaller capacity', async () => {
    const model = 'kling-2.6';
    for (const n of [1, 2]) await kling.createTask({ ...request(model, `${PROMPT} [sim:never]`), externalTaskId: uniqueId(`outside-${n}`) });
    const before = refusedCreates();
    const handles = await Promise.all(
      Array.from({ length: 8 }, () => start({ request: request(model), options: { poll: FAST_POLL } }, 'slots-outside')),
    );
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results).toHaveLength(8);
    const refused = refusedCreates() - before;
    const slots: AccountSlotsView = await slotsOf(model);
    expect(slots.refused).toBeGreaterThan(0);
    expect(slots.outside.count).toBeGreaterThanOrEqual(1);
    // Refusals come only from the holders granted before the estimate shrank, each retrying its create after a
    // release of another holder or the activity's backoff (measured with the fixed backoff alone: 4 for 8 videos with
    // 500 ms retries): never a storm of one per waiting generation.
    expect(refused).toBeLessThanOrEqual(8);
  });

  it('a holder refused with 1303 (a slot taken outside) creates again as soon as one of ours gives its slot back, not after the fixed backoff', async () => {
    const model = 'kling-v2-master';
    // A worker of its own task queue (its own entity) whose 1303 backoff is 10 minutes: within this test, only a
    // release of another holder can bring the refused holder's next create.
    const queue = uniqueId('tq-slots-release');
    const slowRetries = await createKlingWorker({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue: queue,
      deps: { ...workerDeps, limitRetryDelays: { rateLimitMs: 200, concurrencyLimitMs: 10 * 60_000 } },
      workflowBundle,
    });
    const slowRunning = slowRetries.run();
    try {
      await kling.createTask({ ...request(model, `${PROMPT} [sim:never]`), externalTaskId: uniqueId('outside-release') });
      const before = refusedCreates();
      // Five runs are granted the five slots (their polls do not come back, so none releases by itself): four
      // creates are accepted, Kling refuses the fifth (the slot outside).
      const holders = await Promise.all(
        Array.from({ length: 5 }, () =>
          env.client.workflow.start(generateVideo, {
            args: [{ request: request(model), options: { poll: SLOW_POLL } }],
            workflowId: uniqueId('slots-release'),
            taskQueue: queue,
          }),
        ),
      );
      const entity = () => env.client.workflow.getHandle(accountSlotsWorkflowId(queue, `video:${model}`)).query(accountSlotsQuery);
      await eventually(
        async () => holders.map((h) => createsOf(h.workflowId).length),
        (n) => n.every((c) => c >= 1),
      );
      const refusedHolder = await eventually(
        async () => holders.find((h) => createsOf(h.workflowId).some((r) => r.code === 1303)),
        (h) => h !== undefined,
      );
      await eventually(entity, (s) => s.refused === 1 && s.outside.count === 1);
      expect(refusedCreates() - before).toBe(1);
      const created = holders.filter((h) => h !== refusedHolder);
      for (const h of created)
        await eventually(
          async () => createsOf(h.workflowId).filter((r) => r.createdTaskId !== undefined).length,
          (n) => n === 1,
        );
      // Still waiting: no other create of the refused holder while every slot stays taken.
      expect(createsOf(refusedHolder!.workflowId)).toHaveLength(1);

      // One of ours ends (its Kling task has ended, about 1.6 s; the cancelled run gives its slot back): the refused
      // holder creates again right after, and Kling accepts it (the freed slot), long before its 10-minute backoff.
      await new Promise((r) => setTimeout(r, 2_000));
      await created[0]!.cancel();
      const retried = await eventually(
        async () => createsOf(refusedHolder!.workflowId),
        (creates) => creates.length === 2,
      );
      expect(retried[1]!.createdTaskId).toBeDefined();
      expect(refusedCreates() - before).toBe(1);
      for (const h of holders) if (h !== created[0]) await h.terminate('test over');
    } finally {
      slowRetries.shutdown();
      await slowRunning.catch(() => undefined);
    }
  });

  it('the entity continues as new with its holders, waiters (in queue order) and lease checks; waiters queued before it are admitted after it', async () => {
    const model = 'kling-3.0-turbo';
    const entityId = accountSlotsWorkflowId(taskQueue, `video:${model}`);
    // Started here instead of by the first request, so it continues as new after 60 events instead of 4,000 (the
    // lease checks every 500 ms alone add about 10 events a second while slots are held).
    const first = await env.client.workflow.start(accountSlots, {
      workflowId: entityId,
      taskQueue,
      args: [{ ...emptySlotsState(`video:${model}`), continueAsNewAfterEvents: 60 }],
    });
    const holders = await Promise.all(
      Array.from({ length: 5 }, () => start({ request: request(model), options: { poll: SLOW_POLL } }, 'slots-can-hold')),
    );
    await eventually(
      () => slotsOf(model),
      (s) => s.holders.length === 5,
    );
    const waiter = await start({ request: request(model), options: { poll: FAST_POLL } }, 'slots-can-wait');
    await eventually(
      () => slotsOf(model),
      (s) => s.queue.length === 1,
    );
    const urgent = await start({ request: request(model), options: { poll: FAST_POLL, slotPriority: 5 } }, 'slots-can-urgent');
    const queued = await eventually(
      () => slotsOf(model),
      (s) => s.queue.length === 2,
    );
    const runBefore = (await env.client.workflow.getHandle(entityId).describe()).runId;

    // A continue-as-new after both waiters joined: the new run has the same holders (same grant times), the same
    // queue in the same order, the counters and the threshold.
    await eventually(
      async () => (await env.client.workflow.getHandle(entityId).describe()).runId,
      (runId) => runId !== runBefore,
    );
    expect((await env.client.workflow.getHandle(entityId, runBefore).describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect(runBefore === first.firstExecutionRunId || (await first.describe()).status.name === 'CONTINUED_AS_NEW').toBe(true);
    const after = await slotsOf(model);
    expect(after.holders.map((h) => [h.key, h.workflowId, h.since])).toEqual(queued.holders.map((h) => [h.key, h.workflowId, h.since]));
    expect(after.queue.map((w) => [w.workflowId, w.priority, w.seq])).toEqual([
      [urgent.workflowId, 5, queued.queue[0]!.seq],
      [waiter.workflowId, 0, queued.queue[1]!.seq],
    ]);
    expect(after).toMatchObject({ limit: 5, leaseCheckMs: LEASE_CHECK_MS, granted: 5, continueAsNewAfterEvents: 60 });
    expect(createsOf(urgent.workflowId)).toHaveLength(0);
    expect(createsOf(waiter.workflowId)).toHaveLength(0);

    // The lease survives: a holder terminated now (its task has ended at Kling) is reclaimed by the new run, and
    // its slot goes to the first waiter (the higher priority).
    await eventually(
      async () => createsOf(holders[0]!.workflowId).filter((r) => r.createdTaskId !== undefined).length,
      (n) => n === 1,
    );
    await new Promise((r) => setTimeout(r, 2_000)); // the task (about 1.6 s) has ended at Kling
    await holders[0]!.terminate('test: a holder lost after continue-as-new');
    await eventually(
      async () => createsOf(urgent.workflowId).length,
      (n) => n === 1,
      30_000,
    );
    expect(createsOf(waiter.workflowId)).toHaveLength(0);
    expect((await slotsOf(model)).reclaimed).toBeGreaterThanOrEqual(1);
    // A holder that ends normally: its slot goes to the other waiter; both waiters complete.
    await holders[1]!.cancel();
    const results = await Promise.all([urgent.result(), waiter.result()]);
    expect(results.map((r) => r.submissions)).toEqual([1, 1]);
    for (const h of holders.slice(2)) await h.terminate('test over');
  });
});
