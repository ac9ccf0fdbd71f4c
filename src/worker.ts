import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import type { CallbackReceiver } from './callbacks/receiver.js';
import { startCallbackService } from './callbacks/run.js';
import { describeDotEnv, loadDotEnv } from './dotenv.js';
import { unknownEnvVariables, unknownEnvWarning } from './env-check.js';
import { workerConfigFromEnv, type WorkerConfig } from './config.js';
import { KlingClient } from './kling/index.js';
import { klingActivityLogAttributes } from './logging/activity-log-attributes.js';
import { startMetricsEndpoint, type MetricsEndpoint } from './metrics/http-endpoint.js';
import { KlingMetrics } from './metrics/kling-metrics.js';
import { klingMetricsSinks } from './metrics/sink.js';
import { installWorkerRuntime } from './metrics/worker-runtime.js';
import { createStorageFromConfig } from './storage/index.js';
import { otelWorkflowInterceptorModule, startTracing, tracingWorkerParts, type KlingTracing } from './tracing/index.js';
import { describeDeploymentRouting, workerDeploymentOptions, type KlingWorkerDeployment } from './worker-deployment.js';
import { prebuiltWorkflowBundle } from './workflow-bundle-file.js';

/** The workflows entry, as source (tsx, tests) or compiled (lib/). */
export function workflowsPath(): string {
  const ts = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('./workflows/index.js', import.meta.url));
}

/**
 * Workflow interceptor modules (log attributes; with `tracing`, OpenTelemetry's too). The worker registers them when it
 * bundles the workflows itself; a prebuilt bundle must include them: `bundleWorkflowCode(workflowBundleOptions({ tracing:
 * true }))` for a worker given `tracing`.
 */
export function workflowInterceptorModules(options: { tracing?: boolean } = {}): string[] {
  const ts = fileURLToPath(new URL('./workflows/log-attributes.ts', import.meta.url));
  const logAttributes = existsSync(ts) ? ts : fileURLToPath(new URL('./workflows/log-attributes.js', import.meta.url));
  return options.tracing ? [logAttributes, otelWorkflowInterceptorModule()] : [logAttributes];
}

/**
 * What a bundle of this package's workflows needs, for `bundleWorkflowCode(workflowBundleOptions())` (a prebuilt
 * bundle; with `tracing` for a worker given `tracing`). createKlingWorker bundling from `workflowsPath()` uses the
 * same: the interceptor modules, and the workflows entry preloaded once per V8 context (the SDK's `preloadModules`):
 * without it every workflow in the cache evaluates its own copy of the ~30 workflow modules, about 130 KB of heap
 * and their CPU per cached workflow (issue 16; docs/benchmark.md). That is safe because workflow modules hold no
 * state at module level (ESLint forbids module-level `let`, `var`, Maps and mutable statics in src/workflows/).
 */
export function workflowBundleOptions(options: { tracing?: boolean } = {}): {
  workflowsPath: string;
  workflowInterceptorModules: string[];
  preloadModules: string[];
} {
  return { workflowsPath: workflowsPath(), workflowInterceptorModules: workflowInterceptorModules(options), preloadModules: [workflowsPath()] };
}

/**
 * Slot defaults for many concurrent generations (issue 16; `npm run bench -- --only scale`). Each generation's
 * first workflow task runs validation as a local activity (a visibility query and the request check), so a
 * workflow-task slot is held for that long: the SDK's 40 let thousands of starts queue behind a few slow
 * validations. The waiting costs no slot between checks (it lives in activity retries), so these only bound
 * bursts; each is cheap (a slot is a permit, not a thread). Options given to createKlingWorker override them.
 */
export const SCALE_DEFAULTS = {
  maxConcurrentWorkflowTaskExecutions: 200,
  maxConcurrentActivityTaskExecutions: 400,
  maxConcurrentLocalActivityExecutions: 200,
} as const satisfies Partial<WorkerOptions>;

/**
 * Builds a worker for the generateVideo workflow with injected dependencies. The workflow's
 * `klingMetrics.generationFinished` sink feeds `deps.metrics` (when given) and logs one line per generation;
 * activity log lines carry the Kling task id.
 */
export async function createKlingWorker(
  options: {
    connection: NativeConnection;
    namespace?: string;
    taskQueue: string;
    deps: ActivityDeps;
    /** Worker Deployment Versioning (docs/deploy.md, "Rollouts"): this worker's deployment and build id. Unset: unversioned. */
    deployment?: KlingWorkerDeployment;
  } & Partial<
    Pick<
      WorkerOptions,
      | 'identity'
      | 'workflowBundle'
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxConcurrentLocalActivityExecutions'
      | 'maxHeartbeatThrottleInterval'
      | 'stickyQueueScheduleToStartTimeout'
      | 'maxCachedWorkflows'
    >
  > & {
      /**
       * OpenTelemetry tracing (startTracing; docs/observability.md): a span per workflow run, activity attempt, Kling
       * HTTP call and upload, in the trace of the caller's start. Unset: no interceptor, no sink, nothing traced.
       */
      tracing?: KlingTracing;
    },
): Promise<Worker> {
  const { deps, workflowBundle, deployment, tracing, ...rest } = options;
  const traced = tracingWorkerParts(tracing);
  return Worker.create({
    // Cancellation reaches an activity only through a heartbeat's answer: keep the throttle short so a
    // cancelled transfer stops within seconds (the SDK default would wait up to 0.8 × heartbeatTimeout).
    maxHeartbeatThrottleInterval: '2 seconds',
    defaultHeartbeatThrottleInterval: '2 seconds',
    ...SCALE_DEFAULTS,
    ...rest,
    ...(workflowBundle
      ? { workflowBundle }
      : { workflowsPath: workflowsPath(), bundlerOptions: { preloadModules: workflowBundleOptions().preloadModules } }),
    activities: createActivities(deps),
    interceptors: {
      activity: [klingActivityLogAttributes, ...traced.activity],
      ...(workflowBundle ? {} : { workflowModules: workflowInterceptorModules({ tracing: tracing !== undefined }) }),
    },
    sinks: { ...klingMetricsSinks({ metrics: deps.metrics, logger: Runtime.instance().logger }), ...traced.sinks },
    ...(deployment ? { workerDeploymentOptions: workerDeploymentOptions(deployment) } : {}),
  });
}

/** Metrics whose model labels are limited to the configured catalog's names. */
export function workerMetrics(config: Pick<WorkerConfig, 'catalog'>): KlingMetrics {
  return new KlingMetrics({ isKnownModel: (model) => config.catalog.find(model) !== undefined, processMetrics: true });
}

/** The activities' dependencies from a validated configuration (Kling client, storage, prices, optional metrics). */
export function workerDepsFromConfig(config: WorkerConfig, metrics?: KlingMetrics): ActivityDeps {
  const kling = new KlingClient({
    credentials: config.credentials,
    baseUrl: config.klingBaseUrl,
    preferredStandard: config.preferredStandard,
    legacyProducts: config.legacyProducts,
    requestTimeoutMs: config.requestTimeoutMs,
    catalog: config.catalog,
    mediaUrlPolicy: config.mediaUrlPolicy,
    onHttpEvent: metrics?.observeKlingCall,
  });
  return {
    kling,
    storage: createStorageFromConfig(config.storage),
    pricing: config.pricing,
    objectPrefix: config.objectPrefix,
    maxVideoBytes: config.maxVideoBytes,
    videoHosts: config.videoHosts,
    balanceGuard: config.balanceGuard,
    ...(config.accountSlots ? { accountSlots: config.accountSlots } : {}),
    metrics,
    callbackUrl: config.callbacks.url,
    callbackFallbackPoll: config.callbacks.fallbackPoll,
  };
}

/**
 * Runs a worker until SIGINT/SIGTERM (graceful shutdown): configuration from the environment, Temporal's
 * connection from @temporalio/envconfig. `kling-video worker` and `npm run worker` both call this.
 * Installs the process's Temporal Runtime (KLING_LOG_FORMAT, KLING_LOG_LEVEL; runtime metrics when
 * KLING_METRICS_PORT is set), so call it at most once per process, before any other Temporal connection.
 */
export async function runWorker(
  options: {
    taskQueue?: string;
    log?: (line: string) => void;
    /** Where to connect (the CLI's --address/--namespace/--profile); default Temporal's environment configuration. */
    temporal?: ClientConnectConfig;
  } = {},
): Promise<void> {
  const config = workerConfigFromEnv();
  const taskQueue = options.taskQueue ?? config.taskQueue;
  const { logger, runtimeMetricsUrl } = await installWorkerRuntime({ log: config.log, runtimeMetrics: config.metrics !== undefined });
  // In JSON mode every line, these included, is a JSON object.
  const say =
    config.log.format === 'json' ? (line: string) => logger.info(line, { sdkComponent: 'worker', taskQueue }) : (options.log ?? console.log);
  // A misspelled variable (KLING_APIKEY) is otherwise ignored silently: named (never its value), once, in the log.
  for (const variable of unknownEnvVariables())
    logger.warn(unknownEnvWarning(variable), { variable: variable.name, suggestion: variable.suggestion });
  const metrics = config.metrics ? workerMetrics(config) : undefined;
  // OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_ENDPOINT: one trace per generation (docs/observability.md).
  const tracing = startTracing();
  // KLING_WORKFLOW_BUNDLE: no webpack at start (a bad file fails here, before connecting).
  const prebuilt = prebuiltWorkflowBundle(config.workflowBundle, tracing !== undefined);
  let endpoint: MetricsEndpoint | undefined;
  let callbacks: CallbackReceiver | undefined;
  const { connectionOptions, namespace } = options.temporal ?? loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    if (metrics && config.metrics) {
      endpoint = await startMetricsEndpoint({ ...config.metrics, registry: metrics.registry, runtimeMetricsUrl });
      say(`metrics at http://${config.metrics.host.includes(':') ? `[${config.metrics.host}]` : config.metrics.host}:${endpoint.port}/metrics`);
    }
    // KLING_CALLBACK_LISTEN: the callback receiver runs in this process (docs/callbacks.md).
    if (config.callbacks.listen)
      callbacks = await startCallbackService({
        config: config.callbacks,
        listen: config.callbacks.listen,
        registry: metrics?.registry,
        logger,
        temporal: options.temporal,
      });
    if (config.callbacks.url)
      say(
        `Kling callbacks requested at ${config.callbacks.url}${callbacks ? '' : ' (receiver not in this process: run `kling-video callbacks` behind that URL)'}`,
      );
    const deps = workerDepsFromConfig(config, metrics);
    // Refuse to start on a storage that cannot hold anything (e.g. a missing bucket): otherwise every generation
    // would be paid at Kling and then fail at the upload.
    await deps.storage.checkReady?.();
    if (prebuilt.note) say(prebuilt.note);
    const worker = await createKlingWorker({
      connection,
      namespace,
      taskQueue,
      deps,
      tracing,
      deployment: config.deployment,
      ...(prebuilt.workflowBundle ? { workflowBundle: prebuilt.workflowBundle } : {}),
    });
    say(`kling-temporal worker on task queue "${taskQueue}" (namespace ${namespace ?? 'default'})`);
    // A versioned worker gets new generations only once its version is current: say so, with the command.
    if (config.deployment) void describeDeploymentRouting(connection, namespace ?? 'default', config.deployment).then(say);
    await worker.run();
  } finally {
    await callbacks?.close();
    await endpoint?.close();
    await tracing?.shutdown();
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
