// Table "slots" (issue 17): N videos on an account with 5 slots per bucket, started as standalone generateVideo
// workflows, one generateBatch, or both at once, on two worker processes (bench/agent.ts) that poll one task queue and
// so compete for the account's slots; with account-wide admission (KLING_SLOTS=5, docs/slots.md) and, as the
// reference, without it. Optionally some slots are taken by tasks created outside the project (another app on the
// account). Measures wall time against the ideal, creates sent, creates refused with 1303, Kling calls, against the
// issue's goals.
import { randomBytes } from 'node:crypto';
import { startSimulator } from '../src/simulator/index.js';
import { KlingClient } from '../src/kling/index.js';
import { generateBatch, generateVideo } from '../src/workflows/index.js';
import { Agent } from './agent-client.js';
import type { Table, TargetResult } from './report.js';
import type { BenchStack } from './stack.js';
import { BENCH_REQUEST, workflowOptions, type PollPlan } from './workload.js';

export const SLOT_MODES = ['standalone, no admission', 'standalone', 'batch', 'both'] as const;
export type SlotMode = (typeof SLOT_MODES)[number];

/** Slots per bucket at the simulator and in KLING_SLOTS (the trial pack's "5Con"). */
const SLOTS = 5;

/** Issue 17's goals, per mode with admission. */
export const SLOT_GOALS = {
  /** Creates refused with 1303 per video, without and with tasks created outside. */
  refusedPerVideo: 0.1,
  refusedPerVideoOutside: 0.5,
  /** Wall time over the ideal. */
  wallOverIdeal: 1.15,
  /** Kling API calls per video (downloads excluded). */
  callsPerVideo: 3,
} as const;

export interface SlotsParams {
  mode: SlotMode;
  n: number;
  generationMs: number;
  poll: PollPlan;
  /** Slots taken for the whole run by tasks created outside the project (directly at the simulator). */
  outside: number;
  /** Worker processes on the task queue (each one an agent process with its own connection). */
  workers: number;
  /** The batch's lookup interval (`batchPolling.interval`); unset = the batch's default (10 s). */
  batchIntervalMs?: number;
  /**
   * The batch's own `concurrency` (a cap inside the batch; the account's slots are the entity's). Above the slot
   * count, started items wait in the account's queue, so a freed slot goes to an item that is ready to create.
   */
  batchConcurrency: number;
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
  /** CPU seconds each worker process spent during the run: both took part. */
  workerCpuSeconds: number[];
}

/** Runs N videos in one mode on `workers` worker processes against a fresh simulator with 5 slots per bucket. */
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
  const agents: Agent[] = [];
  try {
    const apiKey = sim.credentials.apiKeys[0] ?? 'sim-api-key';
    const kling = new KlingClient({ baseUrl: sim.url, credentials: { apiKey } });
    for (let i = 0; i < params.outside; i++)
      await kling.createTask({ ...BENCH_REQUEST, prompt: `${String(BENCH_REQUEST.prompt)} [sim:never]`, externalTaskId: `outside-${runId}-${i}` });
    const admission = params.mode !== 'standalone, no admission';
    // Two processes, two connections, one task queue: their activities and workflow tasks interleave, and only the
    // account-wide entity keeps them from sending creates Kling must refuse.
    agents.push(...(await Promise.all(Array.from({ length: params.workers }, (_, w) => Agent.start(`slots-worker-${w + 1}`)))));
    await Promise.all(
      agents.map((agent) =>
        agent.startWorker({
          simulatorUrl: sim.url,
          simulatorApiKey: apiKey,
          gcsUrl: stack.gcsUrl,
          bucket,
          temporalAddress: stack.temporalAddress,
          namespace: stack.namespace,
          taskQueue,
          workflowBundlePath: stack.workflowBundlePath,
          ...(admission ? { accountSlots: SLOTS } : {}),
        }),
      ),
    );
    const before = sim.requests.length;
    const cpuBefore = await Promise.all(agents.map(async (agent) => (await agent.stats()).cpuSeconds));
    const options = workflowOptions(params.poll, params.generationMs);
    const batched = params.mode === 'batch' ? params.n : params.mode === 'both' ? Math.floor(params.n / 2) : 0;
    const ids = Array.from({ length: params.n - batched }, (_, i) => `bench-slots-${runId}-${i}`);
    log(
      `slots ${params.mode} N=${params.n}: starting (generation ${params.generationMs / 1000} s, ${params.outside} slots taken outside, ${params.workers} workers)…`,
    );
    let ok = 0;
    const errors: string[] = [];
    const t0 = Date.now();
    {
      const waits: Array<Promise<void>> = [];
      if (batched > 0) {
        // No poll of their own: an item that sets `poll` keeps it instead of the batch's slow fallback, and its
        // status queries would hide the batched lookups the batch mode is measured for.
        const { poll: _ownPoll, ...itemOptions } = options;
        const items = Array.from({ length: batched }, () => ({ request: BENCH_REQUEST, options: itemOptions }));
        const batchPolling = params.batchIntervalMs ? { batchPolling: { interval: params.batchIntervalMs } } : {};
        const handle = await stack.client.workflow.start(generateBatch, {
          taskQueue,
          workflowId: `bench-slots-${runId}-batch`,
          args: [{ items, options: { concurrency: params.batchConcurrency, ...batchPolling } }],
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
    const cpuAfter = await Promise.all(agents.map(async (agent) => (await agent.stats()).cpuSeconds));
    const api = sim.requests.slice(before).filter((r) => r.routeKind !== 'download');
    const creates = api.filter((r) => r.routeKind === 'create');
    const refused = creates.filter((r) => r.code === 1303).length;
    log(
      `slots ${params.mode} N=${params.n} outside ${params.outside}: ${ok} ok, ${errors.length} failed, ${creates.length} creates, ${refused} refused, ${api.length} calls, ${(wallMs / 1000).toFixed(1)} s`,
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
      workerCpuSeconds: cpuAfter.map((c, i) => c - (cpuBefore[i] ?? 0)),
    };
  } catch (err) {
    log(`slots ${params.mode}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    throw err;
  } finally {
    await Promise.all(agents.map((agent) => agent.stop().catch((err: unknown) => log(`stopping ${agent.name}: ${String(err)}`))));
    await sim.close();
    await stack.gcs
      .bucket(bucket)
      .deleteFiles({ force: true })
      .catch(() => undefined);
  }
}

const s = (ms: number) => (ms / 1000).toFixed(1);
const admitted = (r: SlotsRow) => r.mode !== 'standalone, no admission';
const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');

/** Each goal of the issue for one row with admission (the reference row without admission has none). */
function goals(r: SlotsRow): { refused: boolean; wall: boolean; calls: boolean; ok: boolean } {
  return {
    refused: r.refused / r.n <= (r.outside > 0 ? SLOT_GOALS.refusedPerVideoOutside : SLOT_GOALS.refusedPerVideo),
    wall: r.wallMs <= SLOT_GOALS.wallOverIdeal * r.idealMs,
    calls: r.callsPerVideo <= SLOT_GOALS.callsPerVideo,
    ok: r.ok === r.n,
  };
}

export function slotsTable(rows: SlotsRow[]): Table {
  const first = rows[0];
  return {
    title: 'Account-wide slot admission (issue 17)',
    headers: [
      'mode',
      'N',
      'outside',
      'ok',
      'wall s',
      'wall / ideal',
      'creates sent',
      'refused with 1303 (per video)',
      'Kling calls per video',
      'worker CPU s',
      `refused ≤ ${SLOT_GOALS.refusedPerVideo} (${SLOT_GOALS.refusedPerVideoOutside} outside)`,
      `wall ≤ ${SLOT_GOALS.wallOverIdeal} × ideal`,
      `calls ≤ ${SLOT_GOALS.callsPerVideo}`,
      'no video fails',
    ],
    rows: rows.map((r) => {
      const g = goals(r);
      return [
        r.mode,
        String(r.n),
        String(r.outside),
        `${r.ok}/${r.n}`,
        s(r.wallMs),
        (r.wallMs / r.idealMs).toFixed(2),
        String(r.creates),
        `${r.refused} (${(r.refused / r.n).toFixed(2)})`,
        r.callsPerVideo.toFixed(2),
        r.workerCpuSeconds.map((c) => c.toFixed(0)).join(' + '),
        ...(admitted(r) ? [verdict(g.refused), verdict(g.wall), verdict(g.calls), verdict(g.ok)] : ['(reference)', '', '', '']),
      ];
    }),
    notes: first
      ? [
          `${SLOTS} slots per bucket at the simulator, generation time ${s(first.generationMs)} s, ${first.workers} worker processes (bench/agent.ts, each its own connection) on one task queue; ideal = ⌈N / (${SLOTS} − outside)⌉ × generation time.`,
          `standalone: N generateVideo workflows started together; batch: one generateBatch of N (concurrency ${first.batchConcurrency}, batched lookups every ${first.batchIntervalMs ? s(first.batchIntervalMs) : '10.0 (default)'} s); both: N/2 of each at once. Every row but "no admission" with KLING_SLOTS=${SLOTS} on both workers; poll schedule ${s(first.poll.initialMs)} s × ${first.poll.backoffCoefficient} up to ${s(first.poll.maxMs)} s.`,
          'outside: slots taken for the whole run by tasks created directly at the simulator (another app on the account). Kling calls: API requests at the simulator ÷ N (creates, status queries and lookups, the rehost’s fresh-URL query when its worker read no URL for the task moments before; downloads excluded).',
        ]
      : [],
  };
}

/** The goals, one line each over the rows with admission. */
export function slotsTargets(rows: SlotsRow[]): TargetResult[] {
  const with_ = rows.filter(admitted);
  const line = (target: string, pass: (r: SlotsRow) => boolean, measured: (r: SlotsRow) => string): TargetResult => {
    if (with_.length === 0) return { target, measured: '-', verdict: 'NOT RUN' };
    return {
      target,
      measured: with_.map((r) => `${r.mode} N=${r.n} outside ${r.outside}: ${measured(r)}`).join('; '),
      verdict: verdict(with_.every(pass)),
    };
  };
  return [
    line(
      `slots: ≤ ${SLOT_GOALS.refusedPerVideo} refused creates per video (≤ ${SLOT_GOALS.refusedPerVideoOutside} with tasks outside)`,
      (r) => goals(r).refused,
      (r) => (r.refused / r.n).toFixed(2),
    ),
    line(
      `slots: wall ≤ ${SLOT_GOALS.wallOverIdeal} × ideal`,
      (r) => goals(r).wall,
      (r) => (r.wallMs / r.idealMs).toFixed(2),
    ),
    line(
      `slots: ≤ ${SLOT_GOALS.callsPerVideo} Kling calls per video`,
      (r) => goals(r).calls,
      (r) => r.callsPerVideo.toFixed(2),
    ),
    line(
      'slots: no video fails',
      (r) => goals(r).ok,
      (r) => `${r.ok}/${r.n}`,
    ),
  ];
}
