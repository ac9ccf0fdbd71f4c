// `kling-temporal/worker`: run this package's workflows and activities in your own worker.
//   const worker = await createKlingWorker({ connection, taskQueue, deps: { kling, storage } });
// or, with the configuration from the environment (README "Configuration"): `await runWorker()`.
// A worker that bundles itself: Worker.create({ workflowBundle: await bundleWorkflowCode(workflowBundleOptions()),
// activities: createActivities(deps) }) (createKlingWorker also registers the sinks).
export {
  createKlingWorker,
  runWorker,
  workerDepsFromConfig,
  workerMetrics,
  workflowBundleOptions,
  workflowInterceptorModules,
  workflowsPath,
} from './worker.js';
export { createActivities, type ActivityDeps } from './activities/index.js';
export type { VideoHostPolicy } from './download/video-source.js';
export { workerConfigFromEnv, type WorkerConfig } from './config.js';
export { KlingMetrics, type KlingMetricsOptions } from './metrics/kling-metrics.js';
export { klingMetricsSinks } from './metrics/sink.js';
export { klingActivityLogAttributes } from './logging/activity-log-attributes.js';
export {
  createGcsStorage,
  createLocalStorage,
  createStorageFromConfig,
  type GcsStorageOptions,
  type LocalStorageConfig,
  type StorageConfig,
  type VideoStorage,
} from './storage/index.js';
export { SEARCH_ATTRIBUTES } from './contract/search-attributes.js';
// Tracing (docs/observability.md): `createKlingWorker({ ..., tracing: startTracing() })` (runWorker does it from OTEL_*).
export { startTracing, tracingFromEnv, type KlingTracing, type TracingEnvConfig, type TracingOptions } from './tracing/index.js';
// Worker Deployment Versioning (docs/deploy.md, "Rollouts"): `createKlingWorker({ ..., deployment: { deploymentName,
// buildId } })` (runWorker reads KLING_WORKER_DEPLOYMENT, KLING_WORKER_BUILD_ID); a worker of your own:
// Worker.create({ ..., workerDeploymentOptions: workerDeploymentOptions(deployment) }).
export { setCurrentVersionCommand, workerDeploymentFromEnv, workerDeploymentOptions, type KlingWorkerDeployment } from './worker-deployment.js';
