import { createRequire } from 'node:module';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { KlingTracing } from './setup.js';
import { workflowSpanProcessor } from './workflow-spans.js';

/**
 * The workflow interceptor module of @temporalio/interceptors-opentelemetry: traces the run and each activity it
 * schedules, and carries the trace context to the activities in their headers. It must be in the workflow bundle
 * (the worker adds it when it bundles; a prebuilt bundle lists it in `workflowInterceptorModules`). Its spans leave
 * the sandbox only through the `exporter` sink (never on replay), so it changes no command and the bundle stays
 * deterministic.
 */
export function otelWorkflowInterceptorModule(): string {
  return createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');
}

/** What tracing adds to a worker: nothing at all when `tracing` is undefined. */
export interface TracingWorkerParts {
  activity: ActivityInterceptorsFactory[];
  workflowModules: string[];
  sinks: Record<never, never> | InjectedSinks<OpenTelemetrySinks>;
}

/** The activity interceptors (a span per attempt, linked to the workflow's), the workflow module and the span sink. */
export function tracingWorkerParts(tracing: KlingTracing | undefined): TracingWorkerParts {
  if (!tracing) return { activity: [], workflowModules: [], sinks: {} };
  const options = { tracer: tracing.tracer };
  return {
    activity: [
      (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, options), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
    ],
    workflowModules: [otelWorkflowInterceptorModule()],
    // The package is typed against OpenTelemetry SDK 1.x; the processor adapts its spans to SDK 2.x (workflow-spans.ts).
    sinks: { exporter: makeWorkflowExporter(workflowSpanProcessor(tracing.spanProcessor) as never, tracing.resource as never) },
  };
}
