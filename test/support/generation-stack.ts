// A generateVideo stack on real servers: the shared Temporal dev server (or a time-skipping one), the Kling
// simulator over HTTP and fake-gcs-server, wired through the same code a deployment uses.
import type { Storage } from '@google-cloud/storage';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../src/activities/index.js';
import type { VideoHostPolicy } from '../../src/download/video-source.js';
import { KlingClient, type KlingClientOptions } from '../../src/kling/index.js';
import type { KlingMetrics } from '../../src/metrics/kling-metrics.js';
import { startSimulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { createGcsStorage, type VideoStorage } from '../../src/storage/index.js';
import type { KlingTracing } from '../../src/tracing/index.js';
import { createKlingWorker, workflowInterceptorModules } from '../../src/worker.js';
import { gcsStorage, uniqueBucketName, uniqueId } from './servers.js';
import { bundleWorkflows } from './workflow-bundle.js';

export const SIM_CREDENTIALS = { apiKey: 'sim-api-key', accessKey: 'sim-ak', secretKey: 'sim-sk' } as const;

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** A download policy that allows exactly the simulator's CDN (`127.0.0.1:<port>`, http). */
export function simulatorVideoHosts(sim: Simulator): VideoHostPolicy {
  return { allow: [new URL(sim.url).host], allowHttp: true };
}

export interface GenerationStack {
  sim: Simulator;
  kling: KlingClient;
  storage: VideoStorage;
  bucket: string;
  taskQueue: string;
  worker: Worker;
  /** Runs `fn` while the worker polls; fails fast if the worker dies. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** How a test file's stack differs from the default one. */
export interface GenerationStackOptions {
  simulator?: SimulatorOptions;
  kling?: Partial<KlingClientOptions>;
  /** Video download policy. Default: the simulator's host (an explicit loopback IP literal) over http. */
  videoHosts?: (sim: Simulator) => VideoHostPolicy;
  /** Metrics fed by the Kling client's calls, the rehost activity and the workflow's sink. */
  metrics?: KlingMetrics;
  /** Callbacks: the URL put into every create and the fallback poll schedule (test/callbacks). */
  callbacks?: Pick<ActivityDeps, 'callbackUrl' | 'callbackFallbackPoll'>;
  /** Object URLs: public (default) or signed with `gcs`'s credentials (a Storage client holding a key). */
  urls?: { mode: 'public' | 'signed'; gcs?: Storage };
  /** A traced worker (test/tracing): its activities and workflows report spans, the bundle carries the tracing module. */
  tracing?: KlingTracing;
}

export async function createGenerationStack(env: TestWorkflowEnvironment, options: GenerationStackOptions = {}): Promise<GenerationStack> {
  const sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 400 }, ...options.simulator });
  const kling = new KlingClient({
    baseUrl: sim.url,
    credentials: SIM_CREDENTIALS,
    requestTimeoutMs: 5_000,
    onHttpEvent: options.metrics?.observeKlingCall,
    ...options.kling,
  });
  const bucket = uniqueBucketName('kt');
  const gcs = options.urls?.gcs ?? gcsStorage();
  await gcs.createBucket(bucket);
  const storage = createGcsStorage({ bucket, prefix: 'videos', urlMode: options.urls?.mode ?? 'public', storage: gcs, apiEndpoint: gcs.apiEndpoint });
  const taskQueue = uniqueId('tq');
  const worker = await createKlingWorker({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    deps: {
      kling,
      storage,
      limitRetryDelays: { rateLimitMs: 200, concurrencyLimitMs: 500 },
      videoHosts: options.videoHosts?.(sim) ?? simulatorVideoHosts(sim),
      metrics: options.metrics,
      ...options.callbacks,
    },
    // A prebuilt bundle carries the OpenTelemetry workflow module only when asked to (workflowInterceptorModules).
    workflowBundle: await bundleWorkflows(
      'src/workflows/index.ts',
      options.tracing ? { workflowInterceptorModules: workflowInterceptorModules({ tracing: true }) } : undefined,
    ),
    tracing: options.tracing,
  });
  // One worker for the whole file: runUntil would shut it down after the first test.
  const running = worker.run();
  const died = running.then(() => {
    throw new Error('worker stopped');
  });
  died.catch(() => undefined);
  return {
    sim,
    kling,
    storage,
    bucket,
    taskQueue,
    worker,
    run: (fn) => Promise.race([fn(), died]),
    close: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await sim.close();
    },
  };
}
