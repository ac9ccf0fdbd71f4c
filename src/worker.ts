import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { describeDotEnv, loadDotEnv } from './dotenv.js';
import { workerConfigFromEnv, type WorkerConfig } from './config.js';
import { KlingClient } from './kling/index.js';
import { createStorageFromConfig } from './storage/index.js';

/** The workflows entry, as source (tsx, tests) or compiled (lib/). */
export function workflowsPath(): string {
  const ts = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('./workflows/index.js', import.meta.url));
}

/** Builds a worker for the generateVideo workflow with injected dependencies. */
export async function createKlingWorker(
  options: { connection: NativeConnection; namespace?: string; taskQueue: string; deps: ActivityDeps } & Partial<
    Pick<
      WorkerOptions,
      | 'workflowBundle'
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxHeartbeatThrottleInterval'
      | 'stickyQueueScheduleToStartTimeout'
    >
  >,
): Promise<Worker> {
  const { deps, workflowBundle, ...rest } = options;
  return Worker.create({
    // Cancellation reaches an activity only through a heartbeat's answer: keep the throttle short so a
    // cancelled transfer stops within seconds (the SDK default would wait up to 0.8 × heartbeatTimeout).
    maxHeartbeatThrottleInterval: '2 seconds',
    defaultHeartbeatThrottleInterval: '2 seconds',
    ...rest,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: workflowsPath() }),
    activities: createActivities(deps),
  });
}

/** The activities' dependencies from a validated configuration (Kling client, storage, prices). */
export function workerDepsFromConfig(config: WorkerConfig): ActivityDeps {
  const kling = new KlingClient({
    credentials: config.credentials,
    baseUrl: config.klingBaseUrl,
    preferredStandard: config.preferredStandard,
    requestTimeoutMs: config.requestTimeoutMs,
    catalog: config.catalog,
  });
  return {
    kling,
    storage: createStorageFromConfig(config.storage),
    pricing: config.pricing,
    objectPrefix: config.objectPrefix,
    maxVideoBytes: config.maxVideoBytes,
    videoHosts: config.videoHosts,
  };
}

/**
 * Runs a worker until SIGINT/SIGTERM (graceful shutdown): configuration from the environment, Temporal's
 * connection from @temporalio/envconfig. `kling-video worker` and `npm run worker` both call this.
 */
export async function runWorker(options: { taskQueue?: string; log?: (line: string) => void } = {}): Promise<void> {
  const config = workerConfigFromEnv();
  const taskQueue = options.taskQueue ?? config.taskQueue;
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const worker = await createKlingWorker({ connection, namespace, taskQueue, deps: workerDepsFromConfig(config) });
    (options.log ?? console.log)(`kling-temporal worker on task queue "${taskQueue}" (namespace ${namespace ?? 'default'})`);
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  Promise.resolve()
    .then(() => {
      const loaded = describeDotEnv(loadDotEnv());
      if (loaded) console.error(loaded);
      return runWorker();
    })
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
