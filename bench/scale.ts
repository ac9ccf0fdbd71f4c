// Table 1 (and the workflow rows of table 3): N concurrent generateVideo workflows on ONE worker that runs
// in a child process (bench/agent.ts), against a simulator whose tasks all take the same generation time.
// The floor rows (issue 16) run the same way, with a bare poll loop (bench/floor-workflows.ts) in place of
// generateVideo: same N, generation time, poll schedule, stack and measurements.
import { randomBytes } from 'node:crypto';
import { generateVideo } from '../src/workflows/index.js';
import type { GenerateVideoResult } from '../src/contract/generation.js';
import { sleep } from '../src/cli/dev/processes.js';
import { Agent } from './agent-client.js';
import { FLOOR_WORKER, FLOOR_WORKFLOW_TYPES, type FloorVariant } from './floor.js';
import type { FloorInput, FloorResult } from './floor-workflows.js';
import { fetchEvents, timeBreakdown, type HistoryEvent, type TimeBreakdown } from './history.js';
import { processCpuSeconds } from './proc-stats.js';
import type { BenchStack } from './stack.js';
import { BENCH_REQUEST, idealMs, pollScheduleAt, startBenchSimulator, workflowOptions, type PollPlan } from './workload.js';

/** What runs: the project's generateVideo, or one of the floor's bare poll loops. */
export type ScaleSubject = 'project' | FloorVariant;

export interface ScaleParams {
  /** Unset: the project. */
  subject?: ScaleSubject;
  n: number;
  generationMs: number;
  poll: PollPlan;
  videoBytes: number;
  /** How many histories to fetch for the events-per-video figure (evenly spread over the batch). */
  historySample: number;
  /** Workflow starts in flight at once. */
  startConcurrency?: number;
  /** Worker tuning (unset: production defaults). The floor's worker has its own (FLOOR_WORKER). */
  worker?: { maxConcurrentWorkflowTaskExecutions?: number; maxConcurrentActivityTaskExecutions?: number; maxCachedWorkflows?: number };
}

export interface ScaleRow extends ScaleParams {
  subject: ScaleSubject;
  ok: number;
  failed: number;
  firstError?: string;
  wallMs: number;
  idealMs: number;
  /** First scheduled status check at or after the generation time, plus nothing: the schedule's own floor. */
  scheduleFloorMs: number;
  /** Time to start all N workflows (client side). */
  startMs: number;
  completionMs: { p50: number; p95: number; max: number };
  /** Mean workflow phase timings (the result's timingsMs); the project only. */
  phasesMs?: { validating: number; submitting: number; generating: number; rehosting: number };
  /** Mean over the sampled histories of where each workflow's time went (server timestamps). */
  breakdown: TimeBreakdown;
  /** Mean over the sampled histories: activities scheduled by type, timers started, markers (local activities). */
  commands: { activities: Record<string, number>; timers: number; markers: number };
  polls: number;
  workerCpuSeconds: number;
  workerPeakRssBytes: number;
  workerIdleRssBytes: number;
  temporalCpuSeconds?: number;
  mainCpuSeconds: number;
  historyEvents: { mean: number; max: number; sampled: number };
  klingCalls: number;
  downloads: number;
  storedObjects: number;
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Runs N generations to completion and measures them. */
export async function runScale(stack: BenchStack, params: ScaleParams, log: (line: string) => void): Promise<ScaleRow> {
  const subject: ScaleSubject = params.subject ?? 'project';
  const floorWorker = {
    maxConcurrentWorkflowTaskExecutions: FLOOR_WORKER.maxConcurrentWorkflowTaskExecutions,
    maxConcurrentActivityTaskExecutions: FLOOR_WORKER.maxConcurrentActivityTaskExecutions,
    maxCachedWorkflows: params.n + FLOOR_WORKER.cacheAboveN,
  };
  const worker = subject === 'project' ? params.worker : floorWorker;
  const runId = randomBytes(4).toString('hex');
  const sim = await startBenchSimulator({ generationMs: params.generationMs, videoSizeBytes: params.videoBytes });
  const bucket = `bench-scale-${runId}`;
  await stack.gcs.createBucket(bucket);
  const taskQueue = `bench-scale-${runId}`;
  let agent: Agent | undefined;
  try {
    agent = await Agent.start(`${subject === 'project' ? 'worker' : `floor (${subject}) worker`} N=${params.n}`);
    const endpoints = {
      simulatorUrl: sim.url,
      simulatorApiKey: sim.credentials.apiKeys[0] ?? 'sim-api-key',
      temporalAddress: stack.temporalAddress,
      namespace: stack.namespace,
      taskQueue,
    };
    if (subject === 'project')
      await agent.startWorker({ ...endpoints, gcsUrl: stack.gcsUrl, bucket, workflowBundlePath: stack.workflowBundlePath, ...worker });
    else {
      if (!stack.floorBundlePath) throw new Error('the stack was started without the floor bundle');
      await agent.startFloorWorker({ ...endpoints, workflowBundlePath: stack.floorBundlePath, ...floorWorker });
    }
    const idle = await agent.resetPeak();
    const temporalCpu0 = processCpuSeconds(stack.temporalPid);
    const main0 = process.cpuUsage();
    const options = workflowOptions(params.poll, params.generationMs);
    const ids = Array.from({ length: params.n }, (_, i) => `bench-${runId}-${i}`);
    const floorInput: FloorInput = {
      request: BENCH_REQUEST,
      poll: params.poll,
      deadlineMs: Number(options.deadline),
    };
    const errors: string[] = [];

    const what = subject === 'project' ? 'scale' : `floor (${subject})`;
    log(`${what} N=${params.n}: starting ${params.n} workflows (generation ${params.generationMs / 1000} s)…`);
    const t0 = Date.now();
    let next = 0;
    const starter = async (): Promise<void> => {
      while (next < ids.length) {
        const workflowId = ids[next++] as string;
        if (subject === 'project')
          await stack.client.workflow.start(generateVideo, { taskQueue, workflowId, args: [{ request: BENCH_REQUEST, options }] });
        else await stack.client.workflow.start(FLOOR_WORKFLOW_TYPES[subject], { taskQueue, workflowId, args: [floorInput] });
      }
    };
    await Promise.all(Array.from({ length: params.startConcurrency ?? 50 }, starter));
    const startMs = Date.now() - t0;
    log(`${what} N=${params.n}: all started in ${(startMs / 1000).toFixed(1)} s; waiting for them to close…`);
    // Completion from visibility, not from N result() long-polls held open at once (those would compete with
    // the worker's own polls for the server's per-namespace concurrent-request budget).
    const closedQuery = `TaskQueue = "${taskQueue}" AND ExecutionStatus != "Running"`;
    const giveUpAt = t0 + Number(options.deadline ?? 0) + 5 * 60_000;
    while ((await stack.client.workflow.count(closedQuery)).count < params.n) {
      if (Date.now() > giveUpAt) throw new Error(`${what} N=${params.n}: not all workflows closed by the deadline`);
      await sleep(500);
    }
    const finishedAt: number[] = [];
    for await (const info of stack.client.workflow.list({ query: closedQuery })) if (info.closeTime) finishedAt.push(info.closeTime.getTime() - t0);
    // Wall = first start → last close, both on this machine's clock (the server's close time, not when we noticed).
    const wallMs = Math.max(0, ...finishedAt);
    const end = await agent.stats();
    const temporalCpu1 = processCpuSeconds(stack.temporalPid);
    const mainCpu = process.cpuUsage(main0);

    // The project's results carry phase timings; the floor's only the polls.
    const results: (GenerateVideoResult | FloorResult)[] = [];
    let cursor = 0;
    const collector = async (): Promise<void> => {
      while (cursor < ids.length) {
        const workflowId = ids[cursor++] as string;
        await stack.client.workflow
          .getHandle(workflowId)
          .result()
          .then(
            (result: GenerateVideoResult | FloorResult) => void results.push(result),
            (err: unknown) =>
              void errors.push(err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err)),
          );
      }
    };
    await Promise.all(Array.from({ length: 50 }, collector));
    log(
      `${what} N=${params.n}: ${results.length} ok, ${errors.length} failed in ${(wallMs / 1000).toFixed(1)} s; fetching ${params.historySample} histories…`,
    );

    const step = Math.max(1, Math.floor(ids.length / Math.max(1, params.historySample)));
    const sampleIds = ids.filter((_, i) => i % step === 0).slice(0, params.historySample);
    const histories: HistoryEvent[][] = [];
    for (const id of sampleIds) histories.push(await fetchEvents(stack.client, id));
    const breakdowns = histories.map(timeBreakdown);
    const meanOf = (k: keyof TimeBreakdown) => mean(breakdowns.map((b) => b[k]));
    const generations = results.filter((r): r is GenerateVideoResult => 'timingsMs' in r);

    const [files] = await stack.gcs.bucket(bucket).getFiles({ prefix: 'videos/' });
    const sorted = [...finishedAt].sort((a, b) => a - b);
    const apiCalls = sim.requests.filter((r) => r.routeKind !== 'download').length;
    const downloads = sim.requests.filter((r) => r.routeKind === 'download').length;
    const schedule = pollScheduleAt(params.poll, params.generationMs);
    return {
      ...params,
      worker,
      subject,
      ok: results.length,
      failed: errors.length,
      firstError: errors[0],
      wallMs,
      idealMs: idealMs(params.poll, params.generationMs),
      scheduleFloorMs: schedule.floorMs,
      startMs,
      completionMs: { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted.at(-1) ?? 0 },
      phasesMs:
        subject === 'project'
          ? {
              validating: mean(generations.map((r) => r.timingsMs.validating)),
              submitting: mean(generations.map((r) => r.timingsMs.submitting)),
              generating: mean(generations.map((r) => r.timingsMs.generating)),
              rehosting: mean(generations.map((r) => r.timingsMs.rehosting)),
            }
          : undefined,
      breakdown: {
        totalMs: meanOf('totalMs'),
        workflowTaskQueueMs: meanOf('workflowTaskQueueMs'),
        workflowTaskRunMs: meanOf('workflowTaskRunMs'),
        workflowTasks: meanOf('workflowTasks'),
        activityQueueMs: meanOf('activityQueueMs'),
        activityRunMs: meanOf('activityRunMs'),
        timerMs: meanOf('timerMs'),
      },
      commands: commandsPerHistory(histories),
      polls: mean(results.map((r) => r.polls)),
      workerCpuSeconds: end.cpuSeconds - idle.cpuSeconds,
      workerPeakRssBytes: end.peakRssBytes,
      workerIdleRssBytes: idle.rssBytes,
      temporalCpuSeconds: temporalCpu0 === undefined || temporalCpu1 === undefined ? undefined : temporalCpu1 - temporalCpu0,
      mainCpuSeconds: (mainCpu.user + mainCpu.system) / 1e6,
      historyEvents: { mean: mean(histories.map((h) => h.length)), max: Math.max(0, ...histories.map((h) => h.length)), sampled: histories.length },
      klingCalls: apiCalls,
      downloads,
      storedObjects: files.length,
    };
  } finally {
    await agent?.stop();
    await sim.close();
    await stack.gcs
      .bucket(bucket)
      .deleteFiles({ force: true })
      .catch(() => undefined);
  }
}

/** Mean per history: activities scheduled by type, timers started, markers recorded (local activities, patches). */
function commandsPerHistory(histories: HistoryEvent[][]): ScaleRow['commands'] {
  const activities: Record<string, number> = {};
  let timers = 0;
  let markers = 0;
  for (const events of histories)
    for (const event of events) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) {
        const type = scheduled.activityType?.name ?? '?';
        activities[type] = (activities[type] ?? 0) + 1;
      }
      if (event.timerStartedEventAttributes) timers++;
      if (event.markerRecordedEventAttributes) markers++;
    }
  const per = Math.max(1, histories.length);
  return { activities: Object.fromEntries(Object.entries(activities).map(([k, v]) => [k, v / per])), timers: timers / per, markers: markers / per };
}
