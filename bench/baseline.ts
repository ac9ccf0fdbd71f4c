// Table 3: the seed's plain loop (bench/seed-loop.ts) in a child process of its own, on the same simulator
// workload as the workflow, one video at a time or all at once with Promise.all.
import { randomBytes } from 'node:crypto';
import { Agent } from './agent-client.js';
import type { BenchStack } from './stack.js';
import { BENCH_REQUEST, startBenchSimulator } from './workload.js';

export interface SeedRow {
  mode: 'sequential' | 'parallel';
  n: number;
  generationMs: number;
  ok: number;
  failed: number;
  firstError?: string;
  wallMs: number;
  cpuSeconds: number;
  peakRssBytes: number;
  klingCalls: number;
  storedObjects: number;
}

/** The seed sleeps 10 s before every status check and gives up after 600 s. */
export const SEED_POLL_SECONDS = 10;
const SEED_TIMEOUT_SECONDS = 600;

export async function runSeedBaseline(
  stack: BenchStack,
  params: { mode: 'sequential' | 'parallel'; n: number; generationMs: number; videoBytes: number },
  log: (line: string) => void,
): Promise<SeedRow> {
  const runId = `seed-${randomBytes(4).toString('hex')}`;
  const sim = await startBenchSimulator({ generationMs: params.generationMs, videoSizeBytes: params.videoBytes });
  const bucket = `bench-${runId}`;
  await stack.gcs.createBucket(bucket);
  let agent: Agent | undefined;
  try {
    agent = await Agent.start(`seed loop ${params.mode} N=${params.n}`);
    const before = await agent.resetPeak();
    log(`baseline: seed loop ${params.mode === 'sequential' ? 'one at a time' : 'Promise.all'}, N=${params.n}…`);
    const t0 = Date.now();
    const result = await agent.seedLoop({
      simulatorUrl: sim.url,
      simulatorApiKey: sim.credentials.apiKeys[0] ?? 'sim-api-key',
      gcsUrl: stack.gcsUrl,
      bucket,
      mode: params.mode,
      n: params.n,
      pollSeconds: SEED_POLL_SECONDS,
      timeoutSeconds: SEED_TIMEOUT_SECONDS,
      request: BENCH_REQUEST,
      runId,
    });
    const wallMs = Date.now() - t0;
    const after = await agent.stats();
    const [files] = await stack.gcs.bucket(bucket).getFiles();
    return {
      ...params,
      ok: result.ok,
      failed: result.failed,
      firstError: result.errors[0],
      wallMs,
      cpuSeconds: after.cpuSeconds - before.cpuSeconds,
      peakRssBytes: after.peakRssBytes,
      klingCalls: sim.requests.filter((r) => r.routeKind !== 'download').length,
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
