// Table 2: the rehost activity's throughput for one large video against a raw stream copy of the same bytes
// (undici GET of the same simulator URL piped into a @google-cloud/storage upload to the same fake-gcs-server)
// in the same child process, and that process' peak memory during each. A fresh worker process per size, so
// the peaks of different sizes are comparable.
import { randomBytes } from 'node:crypto';
import { generateVideo } from '../src/workflows/index.js';
import { Agent } from './agent-client.js';
import { activitySpans, fetchEvents } from './history.js';
import { processCpuSeconds } from './proc-stats.js';
import type { BenchStack } from './stack.js';
import { BENCH_REQUEST, startBenchSimulator, workflowOptions } from './workload.js';

export interface TransferRow {
  sizeBytes: number;
  repeats: number;
  /** Median over the repeats. */
  rehostMs: number;
  rawMs: number;
  /** Median of the workflow's rehosting phase (activity scheduled → result, includes queueing and retries). */
  rehostPhaseMs: number;
  /** Worker process RSS just before the transfer (worker idle) and its peak during the transfer. */
  idleRssBytes: number;
  rehostPeakRssBytes: number;
  rawPeakRssBytes: number;
  /** CPU seconds (median) of the worker process and of fake-gcs-server during each transfer. */
  rehostCpuSeconds: number;
  rawCpuSeconds: number;
  rehostGcsCpuSeconds?: number;
  rawGcsCpuSeconds?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? 0;
};

/** The storage layer's default: resumable uploads from 8 MiB (gcsStorageConfigSchema.resumableThresholdBytes). */
const RESUMABLE_THRESHOLD_BYTES = 8 * 1024 * 1024;

export async function runTransfer(
  stack: BenchStack,
  params: { sizeBytes: number; repeats: number },
  log: (line: string) => void,
): Promise<TransferRow> {
  const runId = randomBytes(4).toString('hex');
  const generationMs = 1_000;
  const sim = await startBenchSimulator({ generationMs, videoSizeBytes: params.sizeBytes });
  // Build each video's bytes while the task is still processing, so neither transfer pays for it.
  const unsubscribe = sim.onTransition(({ task, to }) => {
    if (to === 'processing') sim.videoSha256(task.id);
  });
  const bucket = `bench-transfer-${runId}`;
  await stack.gcs.createBucket(bucket);
  const taskQueue = `bench-transfer-${runId}`;
  let agent: Agent | undefined;
  const mib = (params.sizeBytes / 1024 / 1024).toFixed(0);
  try {
    agent = await Agent.start(`transfer worker ${mib} MiB`);
    await agent.startWorker({
      simulatorUrl: sim.url,
      simulatorApiKey: sim.credentials.apiKeys[0] ?? 'sim-api-key',
      gcsUrl: stack.gcsUrl,
      bucket,
      temporalAddress: stack.temporalAddress,
      namespace: stack.namespace,
      taskQueue,
      workflowBundlePath: stack.workflowBundlePath,
    });
    const rehostMs: number[] = [];
    const rehostPhaseMs: number[] = [];
    const rawMs: number[] = [];
    const cpu = { rehost: [] as number[], raw: [] as number[], rehostGcs: [] as number[], rawGcs: [] as number[] };
    const gcsCpu = () => processCpuSeconds(stack.gcsPid) ?? Number.NaN;
    let idleRss = Number.POSITIVE_INFINITY;
    let rehostPeak = 0;
    let rawPeak = 0;
    for (let i = 0; i < params.repeats; i++) {
      const idle = await agent.resetPeak();
      idleRss = Math.min(idleRss, idle.rssBytes);
      const gcs0 = gcsCpu();
      const workflowId = `bench-transfer-${runId}-${i}`;
      const result = await stack.client.workflow.execute(generateVideo, {
        taskQueue,
        workflowId,
        args: [{ request: BENCH_REQUEST, options: workflowOptions({ initialMs: 500, backoffCoefficient: 1, maxMs: 500 }, generationMs) }],
      });
      if (result.size !== params.sizeBytes) throw new Error(`rehost stored ${result.size} bytes, expected ${params.sizeBytes}`);
      const afterRehost = await agent.stats();
      rehostPeak = Math.max(rehostPeak, afterRehost.peakRssBytes);
      cpu.rehost.push(afterRehost.cpuSeconds - idle.cpuSeconds);
      cpu.rehostGcs.push(gcsCpu() - gcs0);
      const span = activitySpans(await fetchEvents(stack.client, workflowId)).find((s) => s.activityType === 'rehostVideo');
      if (!span) throw new Error(`no rehostVideo activity in the history of ${workflowId}`);
      rehostMs.push(span.runMs);
      rehostPhaseMs.push(result.timingsMs.rehosting);

      const url = sim.task(result.klingTaskId)?.videoUrls[0];
      if (url === undefined) throw new Error(`the simulator has no video URL for task ${result.klingTaskId}`);
      const beforeRaw = await agent.resetPeak();
      const gcs1 = gcsCpu();
      const raw = await agent.rawCopy({
        simulatorUrl: sim.url,
        simulatorApiKey: sim.credentials.apiKeys[0] ?? 'sim-api-key',
        gcsUrl: stack.gcsUrl,
        bucket,
        url,
        objectName: `raw/${i}.mp4`,
        resumable: params.sizeBytes >= RESUMABLE_THRESHOLD_BYTES,
      });
      if (raw.bytes !== params.sizeBytes) throw new Error(`raw copy moved ${raw.bytes} bytes, expected ${params.sizeBytes}`);
      const afterRaw = await agent.stats();
      rawPeak = Math.max(rawPeak, afterRaw.peakRssBytes);
      cpu.raw.push(afterRaw.cpuSeconds - beforeRaw.cpuSeconds);
      cpu.rawGcs.push(gcsCpu() - gcs1);
      rawMs.push(raw.ms);
      log(`transfer ${mib} MiB #${i + 1}: rehost ${(span.runMs / 1000).toFixed(2)} s, raw copy ${(raw.ms / 1000).toFixed(2)} s`);
      // fake-gcs-server keeps objects in memory: drop them before the next, larger one.
      await stack.gcs.bucket(bucket).deleteFiles({ force: true });
    }
    return {
      sizeBytes: params.sizeBytes,
      repeats: params.repeats,
      rehostMs: median(rehostMs),
      rawMs: median(rawMs),
      rehostPhaseMs: median(rehostPhaseMs),
      idleRssBytes: idleRss,
      rehostPeakRssBytes: rehostPeak,
      rawPeakRssBytes: rawPeak,
      rehostCpuSeconds: median(cpu.rehost),
      rawCpuSeconds: median(cpu.raw),
      rehostGcsCpuSeconds: Number.isNaN(median(cpu.rehostGcs)) ? undefined : median(cpu.rehostGcs),
      rawGcsCpuSeconds: Number.isNaN(median(cpu.rawGcs)) ? undefined : median(cpu.rawGcs),
    };
  } finally {
    unsubscribe();
    await agent?.stop();
    await sim.close();
    await stack.gcs
      .bucket(bucket)
      .deleteFiles({ force: true })
      .catch(() => undefined);
  }
}
