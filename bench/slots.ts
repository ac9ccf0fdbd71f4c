// Table "slots" (issue 17): N videos on an account with 5 slots per bucket, started as standalone generateVideo
// workflows, one generateBatch, or both at once, on one worker in the bench process; with account-wide admission
// (KLING_SLOTS=5, docs/slots.md) and, as the reference, without it. Optionally some slots are taken by tasks created
// outside the project. Measures wall time against the ideal, creates sent, creates refused with 1303, Kling calls.
import { randomBytes } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { KlingClient } from '../src/kling/index.js';
import { startSimulator } from '../src/simulator/index.js';
import { createGcsStorage } from '../src/storage/index.js';
import { createKlingWorker } from '../src/worker.js';
import { generateBatch, generateVideo } from '../src/workflows/index.js';
import type { Table, TargetResult } from './report.js';
import type { BenchStack } from './stack.js';
import { BENCH_REQUEST, workflowOptions, type PollPlan } from './workload.js';

export const SLOT_MODES = ['standalone, no admission', 'standalone', 'batch', 'both'] as const;
export type SlotMode = (typeof SLOT_MODES)[number];

/** Slots per bucket at the simulator and in KLING_SLOTS (the trial pack's "5Con"). */
const SLOTS = 5;
/**
 * Workers in the bench process. One: the SDK refuses a second worker on the same task queue in one process; the
 * issue's "two workers" needs the bench's agent processes (bench/agent.ts), not done yet.
 */
const WORKERS = 1;

export interface SlotsParams {
  mode: SlotMode;
  n: number;
  generationMs: number;
  poll: PollPlan;
  /** Slots taken for the whole run by tasks created outside the project (directly at the simulator). */
  outside: number;
}

export interface SlotsRow extends SlotsParams {
  ok: number;
  firstError?: string;
  wallMs: number;
  /** ⌈N / (slots − outside)⌉ × generation time. */
  idealMs: number;
  creates: number;
  refused: number;
  /** API requests per video, downloads and the outside tasks' own creates excluded. */
  callsPerVideo: number;
}

/** Runs N videos in one mode on one worker against a fresh simulator with 5 slots per bucket. */
export async function runSlots(stack: BenchStack, params: SlotsParams, log: (line: string) => void): Promise<SlotsRow> {
  const runId = randomBytes(4).toString('hex');
  const submittedMs = Math.min(1_000, Math.floor(params.generationMs / 5));
  const sim = await startSimulator({
    schedule: { submittedMs, processingMs: params.generationMs - submittedMs },
    concurrency: { limit: SLOTS, bucket: 'model' },
    unitBalance: 1e12,
    videoSizeBytes: 64 * 1024,
  });
  const bucket = `bench-slots-${runId}`;
  await stack.gcs.createBucket(bucket);
  const taskQueue = `bench-slots-${runId}`;
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const workers: Worker[] = [];
  let running: Array<Promise<void>> = [];
  try {
    const kling = new KlingClient({ baseUrl: sim.url, credentials: { apiKey: sim.credentials.apiKeys[0] ?? 'sim-api-key' } });
    for (let i = 0; i < params.outside; i++)
      await kling.createTask({ ...BENCH_REQUEST, prompt: `${String(BENCH_REQUEST.prompt)} [sim:never]`, externalTaskId: `outside-${runId}-${i}` });
    const before = sim.requests.length;
    const admission = params.mode !== 'standalone, no admission';
    for (let w = 0; w < WORKERS; w++)
      workers.push(
        await createKlingWorker({
          connection,
          namespace: stack.namespace,
          taskQueue,
          workflowBundle: { codePath: stack.workflowBundlePath },
          deps: {
            kling,
            storage: createGcsStorage({ bucket, prefix: 'videos', urlMode: 'public', storage: stack.gcs, apiEndpoint: stack.gcsUrl }),
            videoHosts: { allow: [new URL(sim.url).host], allowHttp: true },
            ...(admission ? { accountSlots: { default: SLOTS, perModel: {} } } : {}),
          },
        }),
      );
    const options = workflowOptions(params.poll, params.generationMs);
    const batched = params.mode === 'batch' ? params.n : params.mode === 'both' ? Math.floor(params.n / 2) : 0;
    const ids = Array.from({ length: params.n - batched }, (_, i) => `bench-slots-${runId}-${i}`);
    log(`slots ${params.mode} N=${params.n}: starting (generation ${params.generationMs / 1000} s, ${params.outside} slots taken outside)…`);
    let ok = 0;
    const errors: string[] = [];
    const t0 = Date.now();
    running = workers.map((w) => w.run());
    {
      const waits: Array<Promise<void>> = [];
      if (batched > 0) {
        const items = Array.from({ length: batched }, () => ({ request: BENCH_REQUEST, options }));
        const handle = await stack.client.workflow.start(generateBatch, {
          taskQueue,
          workflowId: `bench-slots-${runId}-batch`,
          args: [{ items, options: { concurrency: SLOTS } }],
        });
        waits.push(
          handle.result().then(
            (r) => {
              ok += r.progress.succeeded;
              for (const item of r.items) if (item.outcome !== 'succeeded') errors.push(`batch item ${item.index}: ${item.outcome}`);
            },
            (err: unknown) => void errors.push(err instanceof Error ? err.message : String(err)),
          ),
        );
      }
      for (const workflowId of ids) {
        const handle = await stack.client.workflow.start(generateVideo, { taskQueue, workflowId, args: [{ request: BENCH_REQUEST, options }] });
        waits.push(
          handle.result().then(
            () => void ok++,
            (err: unknown) => void errors.push(err instanceof Error ? err.message : String(err)),
          ),
        );
      }
      await Promise.all(waits);
    }
    const wallMs = Date.now() - t0;
    const api = sim.requests.slice(before).filter((r) => r.routeKind !== 'download');
    const creates = api.filter((r) => r.routeKind === 'create');
    const refused = creates.filter((r) => r.code === 1303).length;
    log(
      `slots ${params.mode} N=${params.n}: ${ok} ok, ${errors.length} failed, ${creates.length} creates, ${refused} refused, ${(wallMs / 1000).toFixed(1)} s`,
    );
    return {
      ...params,
      ok,
      firstError: errors[0],
      wallMs,
      idealMs: Math.ceil(params.n / Math.max(1, SLOTS - params.outside)) * params.generationMs,
      creates: creates.length,
      refused,
      callsPerVideo: api.length / params.n,
    };
  } catch (err) {
    log(`slots ${params.mode}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    throw err;
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(running.map((r) => r.catch(() => undefined)));
    await connection.close().catch((err: unknown) => log(`closing the bench connection: ${err instanceof Error ? err.message : String(err)}`));
    await sim.close();
    await stack.gcs
      .bucket(bucket)
      .deleteFiles({ force: true })
      .catch(() => undefined);
  }
}

const s = (ms: number) => (ms / 1000).toFixed(1);

export function slotsTable(rows: SlotsRow[]): Table {
  const first = rows[0];
  return {
    title: 'Account-wide slot admission (issue 17)',
    headers: ['mode', 'N', 'outside', 'ok', 'wall s', 'wall / ideal', 'creates sent', 'refused with 1303 (per video)', 'Kling calls per video'],
    rows: rows.map((r) => [
      r.mode,
      String(r.n),
      String(r.outside),
      `${r.ok}/${r.n}`,
      s(r.wallMs),
      (r.wallMs / r.idealMs).toFixed(2),
      String(r.creates),
      `${r.refused} (${(r.refused / r.n).toFixed(2)})`,
      r.callsPerVideo.toFixed(2),
    ]),
    notes: first
      ? [
          `${SLOTS} slots per bucket at the simulator, generation time ${s(first.generationMs)} s, one worker in the bench process (two workers on one task queue need the agent processes: not done yet); ideal = ⌈N / (${SLOTS} − outside)⌉ × generation time.`,
          `standalone: N generateVideo workflows started together; batch: one generateBatch of N (concurrency ${SLOTS}); both: N/2 of each at once. Every row but the first with KLING_SLOTS=${SLOTS}; poll schedule ${s(first.poll.initialMs)} s × ${first.poll.backoffCoefficient} up to ${s(first.poll.maxMs)} s.`,
          'outside: slots taken for the whole run by tasks created directly at the simulator (another app on the account).',
        ]
      : [],
  };
}

/** The goal per mode with admission: ≤ 0.1 refused creates per video (≤ 0.5 with tasks outside), wall ≤ 1.15 × ideal, all ok. */
export function slotsTargets(rows: SlotsRow[]): TargetResult[] {
  const admitted = rows.filter((r) => r.mode !== 'standalone, no admission');
  const target = 'slots: ≤ 0.1 refused creates per video (≤ 0.5 with tasks outside), wall ≤ 1.15 × ideal, no video fails';
  if (admitted.length === 0) return [{ target, measured: '-', verdict: 'NOT RUN' }];
  const passes = (r: SlotsRow) => r.ok === r.n && r.refused / r.n <= (r.outside > 0 ? 0.5 : 0.1) && r.wallMs <= 1.15 * r.idealMs;
  return [
    {
      target,
      measured: admitted
        .map(
          (r) =>
            `${r.mode} N=${r.n} outside ${r.outside}: ${(r.refused / r.n).toFixed(2)} refused/video, wall ${(r.wallMs / r.idealMs).toFixed(2)} × ideal, ${r.ok}/${r.n} ok`,
        )
        .join('; '),
      verdict: admitted.every(passes) ? 'PASS' : 'MISS',
    },
  ];
}
