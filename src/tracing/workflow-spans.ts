import type { Attributes, Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * A workflow span as @temporalio/interceptors-opentelemetry 1.24 hands it to the worker's sink: built in the
 * sandbox by OpenTelemetry SDK 1.x, which names the parent `parentSpanId` and the scope `instrumentationLibrary`
 * (SDK 2.x, which this project uses, calls them `parentSpanContext` and `instrumentationScope`).
 */
type WorkflowSinkSpan = ReadableSpan & { parentSpanId?: string; instrumentationLibrary?: ReadableSpan['instrumentationScope'] };

/** WorkflowInfo fields kept, under the names the package's activity spans use (`temporalWorkflowId`, `run_id`). */
const INFO_ATTRIBUTES: Record<string, string> = {
  workflowId: 'temporalWorkflowId',
  runId: 'run_id',
  workflowType: 'temporalWorkflowType',
  taskQueue: 'temporalTaskQueue',
  namespace: 'temporalNamespace',
  attempt: 'temporalAttempt',
};

/**
 * The sink merges the whole WorkflowInfo into each span's attributes (memo, search attributes, functions, nested
 * objects: not valid attribute values, and the memo is no exporter's business). Kept: the interceptors' own
 * attributes (`temporal…`, `run_id`) and the identifying fields of INFO_ATTRIBUTES.
 */
function workflowSpanAttributes(merged: Attributes): Attributes {
  const kept: Attributes = {};
  for (const [key, value] of Object.entries(merged)) {
    if (value === undefined || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) continue;
    const renamed = INFO_ATTRIBUTES[key] ?? (key.startsWith('temporal') || key === 'run_id' ? key : undefined);
    if (renamed !== undefined) kept[renamed] = value;
  }
  return kept;
}

/**
 * The span in SDK 2.x's shape, so exporters see its parent (else every workflow span would be a root) and its scope,
 * with attributes an exporter can send (workflowSpanAttributes).
 */
export function upgradeWorkflowSpan(span: WorkflowSinkSpan): ReadableSpan {
  const { parentSpanId, instrumentationLibrary, ...rest } = span;
  const own = span.spanContext();
  const parentSpanContext =
    span.parentSpanContext ?? (parentSpanId ? { traceId: own.traceId, spanId: parentSpanId, traceFlags: own.traceFlags } : undefined);
  return {
    ...rest,
    attributes: workflowSpanAttributes(span.attributes),
    spanContext: () => own,
    parentSpanContext,
    instrumentationScope: span.instrumentationScope ?? instrumentationLibrary ?? { name: '@temporalio/interceptor-workflow' },
  };
}

/**
 * The span processor given to the workflow exporter sink: each finished workflow span, upgraded, goes to `inner`.
 * Flushing and shutting down are left to `inner`'s owner (the tracer provider).
 */
export function workflowSpanProcessor(inner: SpanProcessor): SpanProcessor {
  return {
    onStart: (_span: Span, _context: Context) => undefined,
    onEnd: (span) => inner.onEnd(upgradeWorkflowSpan(span)),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
