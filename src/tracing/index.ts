// OpenTelemetry tracing, opt-in: one trace per video from the caller's start through the workflow and its activities
// to each Kling HTTP call and the upload (docs/observability.md).
export { tracingFromEnv, tracingRequestedByEnv, type TraceExporterName, type TracingEnvConfig } from './env.js';
export { startTracing, TRACER_NAME, type KlingTracing, type TracingOptions } from './setup.js';
export { clientTracer, inSpan, withTracingInterceptor, type ClientTracingOption } from './client.js';
export { otelWorkflowInterceptorModule, tracingWorkerParts, type TracingWorkerParts } from './worker-interceptors.js';
