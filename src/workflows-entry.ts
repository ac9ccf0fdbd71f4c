// `kling-temporal/workflows`: the workflow functions (generateVideo, adoptVideo, generateBatch, creditBudget) and
// their queries, signals and updates, e.g. for `client.workflow.start(generateVideo, …)` or `handle.query(progressQuery)`.
// Bundle-safe: no Node built-ins (it is what workflowsPath() from `kling-temporal/worker` bundles).
export * from './workflows/index.js';
