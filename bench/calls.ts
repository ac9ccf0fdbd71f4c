// Table "calls": Kling API calls per video and the latency from a task's `succeeded` to its permanent URL, for the
// three ways the workflows wait on Kling: per-video polling, signed callbacks, and a batch's 20-ids-per-call lookups.
// One worker in this process per mode (the figures are counts and latencies, not CPU), against a fresh simulator.
import { randomBytes } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { startCallbackReceiver, type CallbackReceiver } from '../src/callbacks/receiver.js';
import { temporalSignaller } from '../src/callbacks/signal.js';
import { sleep } from '../src/cli/dev/processes.js';
import { KlingClient } from '../src/kling/index.js';
import type { GenerateVideoResult } from '../src/contract/generation.js';
import type { Simulator } from '../src/simulator/index.js';
import { createGcsStorage } from '../src/storage/index.js';
import { createKlingWorker } from '../src/worker.js';
import { generateBatch, generateVideo } from '../src/workflows/index.js';
import type { BenchStack } from './stack.js';
import { BENCH_REQUEST, startBenchSimulator } from './workload.js';

export const WAIT_MODES = ['per-video polling', 'callbacks', 'batched polling'] as const;
export type WaitMode = (typeof WAIT_MODES)[number];

export interface CallsParams {
  mode: WaitMode;
  n: number;
  generationMs: number;
  videoBytes: number;
  /** batched polling: the batch's lookup interval. */
  batchIntervalMs: number;
}

export interface CallsRow extends CallsParams {
  ok: number;
  firstError?: string;
  /** API requests per video by kind (downloads excluded). */
  perVideo: { create: number; status: number; other: number; total: number };
  /** batched polling: most `GET /tasks` lookups in one tick, and the most ids looked up in one tick. */
  ticks?: { count: number; maxCalls: number; maxIds: number };
  /** From the task's `succeeded` (simulator clock) to the workflow's close (server clock, same machine). */
  latencyMs: { p50: number; p95: number };
  /** The rehost phase of the same videos (download + upload). */
  transferMs: { p50: number; p95: number };
  /** Latency minus transfer, per video. */
  detectionMs: { p50: number; p95: number };
}

const WEBHOOK_SECRET = 'whsec_YmVuY2gtY2FsbGJhY2stc2VjcmV0LWJlbmNoLWNhbGxiYWNr';
const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const spread = (xs: number[]) => ({ p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) });

/** A batch watcher's ticks: its `GET /tasks?external_task_ids=` calls, grouped when they follow within 1 s. */
function watcherTicks(sim: Simulator, batchId: string): Array<{ calls: number; ids: number }> {
  const calls = sim.requests.filter((r) => r.method === 'GET' && r.path === '/tasks' && (r.query.external_task_ids ?? '').startsWith(`${batchId}-`));
  const ticks: Array<{ calls: number; ids: number; last: number }> = [];
  for (const call of calls) {
    const ids = call.query.external_task_ids!.split(',').length;
    const tick = ticks.at(-1);
    if (tick !== undefined && call.at - tick.last < 1_000) Object.assign(tick, { calls: tick.calls + 1, ids: tick.ids + ids, last: call.at });
    else ticks.push({ calls: 1, ids, last: call.at });
  }
  return ticks;
}

/** Runs N generations in one mode and measures calls and latency. */
export async function runCalls(stack: BenchStack, params: CallsParams, log: (line: string) => void): Promise<CallsRow> {
  const runId = randomBytes(4).toString('hex');
  const sim = await startBenchSimulator({
    generationMs: params.generationMs,
    videoSizeBytes: params.videoBytes,
    ...(params.mode === 'callbacks' ? { callbacks: { secrets: [WEBHOOK_SECRET] } } : {}),
  });
  const bucket = `bench-calls-${runId}`;
  await stack.gcs.createBucket(bucket);
  const taskQueue = `bench-calls-${runId}`;
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  let receiver: CallbackReceiver | undefined;
  try {
    if (params.mode === 'callbacks')
      receiver = await startCallbackReceiver({
        signal: temporalSignaller(stack.client),
        secrets: [WEBHOOK_SECRET],
        host: '127.0.0.1',
        port: 0,
        logger: { info: () => undefined, warn: log },
      });
    const worker = await createKlingWorker({
      connection,
      namespace: stack.namespace,
      taskQueue,
      workflowBundle: { codePath: stack.workflowBundlePath },
      deps: {
        kling: new KlingClient({ baseUrl: sim.url, credentials: { apiKey: sim.credentials.apiKeys[0] ?? 'sim-api-key' } }),
        storage: createGcsStorage({ bucket, prefix: 'videos', urlMode: 'public', storage: stack.gcs, apiEndpoint: stack.gcsUrl }),
        videoHosts: { allow: [new URL(sim.url).host], allowHttp: true },
        // The worker's defaults when callbacks are on (KLING_CALLBACK_POLL_INITIAL / _MAX): 30 s growing to 2 minutes.
        ...(receiver
          ? { callbackUrl: `${receiver.url}/kling/callback`, callbackFallbackPoll: { initialInterval: 30_000, maxInterval: 120_000 } }
          : {}),
      },
    });
    const ids = Array.from({ length: params.n }, (_, i) => `bench-calls-${runId}-${i}`);
    const batchId = `bench-calls-${runId}`;
    log(`calls ${params.mode} N=${params.n}: starting (generation ${params.generationMs / 1000} s)…`);
    const results: Array<{ id: string; result: GenerateVideoResult }> = [];
    const errors: string[] = [];
    await worker.runUntil(async () => {
      if (params.mode === 'batched polling') {
        const items = ids.map(() => ({ request: { ...BENCH_REQUEST, standard: 'new' } }));
        const handle = await stack.client.workflow.start(generateBatch, {
          taskQueue,
          workflowId: batchId,
          args: [{ items, options: { concurrency: Math.min(200, params.n), batchPolling: { interval: params.batchIntervalMs } } }],
        });
        await handle.result();
      } else {
        // The workflow's default poll schedule (5 s × 1.5 up to 10 s), or the callback fallback.
        await Promise.all(
          ids.map((workflowId) => stack.client.workflow.start(generateVideo, { taskQueue, workflowId, args: [{ request: BENCH_REQUEST }] })),
        );
      }
      for (const id of ids) {
        await stack.client.workflow
          .getHandle<typeof generateVideo>(id)
          .result()
          .then(
            (result) => void results.push({ id, result }),
            (err: unknown) => void errors.push(err instanceof Error ? err.message : String(err)),
          );
      }
    });
    await sleep(200);

    const latency: number[] = [];
    const transfer: number[] = [];
    const detection: number[] = [];
    for (const { id, result } of results) {
      const task = sim.task(result.klingTaskId);
      const closed = (await stack.client.workflow.getHandle(id).describe()).closeTime?.getTime();
      if (task?.finishedAt === undefined || closed === undefined) continue;
      latency.push(closed - task.finishedAt);
      transfer.push(result.timingsMs.rehosting);
      detection.push(closed - task.finishedAt - result.timingsMs.rehosting);
    }
    const api = sim.requests.filter((r) => r.routeKind !== 'download');
    const create = api.filter((r) => r.routeKind === 'create').length;
    const status = api.filter((r) => r.routeKind === 'query').length;
    const ticks = params.mode === 'batched polling' ? watcherTicks(sim, batchId) : undefined;
    log(`calls ${params.mode} N=${params.n}: ${results.length} ok, ${errors.length} failed, ${api.length} Kling calls`);
    return {
      ...params,
      ok: results.length,
      firstError: errors[0],
      perVideo: {
        create: create / params.n,
        status: status / params.n,
        other: (api.length - create - status) / params.n,
        total: api.length / params.n,
      },
      ...(ticks
        ? { ticks: { count: ticks.length, maxCalls: Math.max(0, ...ticks.map((t) => t.calls)), maxIds: Math.max(0, ...ticks.map((t) => t.ids)) } }
        : {}),
      latencyMs: spread(latency),
      transferMs: spread(transfer),
      detectionMs: spread(detection),
    };
  } finally {
    await receiver?.close();
    await connection.close();
    await sim.close();
    await stack.gcs
      .bucket(bucket)
      .deleteFiles({ force: true })
      .catch(() => undefined);
  }
}
