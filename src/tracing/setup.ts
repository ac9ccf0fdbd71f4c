import { context, propagation, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { tracingFromEnv } from './env.js';

/** The instrumentation scope of every span this project makes outside the workflow sandbox. */
export const TRACER_NAME = 'kling-temporal';

/**
 * Tracing that is on: what createKlingWorker and VideoGenerationClient need to trace. Made by startTracing; pass the
 * same object to both when they share a process.
 */
export interface KlingTracing {
  /** Makes the client, activity, Kling HTTP and upload spans. */
  readonly tracer: Tracer;
  /** Receives the workflow spans, which the sandbox hands to the worker through a sink. */
  readonly spanProcessor: SpanProcessor;
  /** Attached to the workflow spans (the tracer provider attaches it to the others). */
  readonly resource: Resource;
  /** Flushes pending spans and releases what startTracing registered. Call it once, after the worker stopped. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /**
   * Where finished spans go, e.g. `new BatchSpanProcessor(new OTLPTraceExporter())`, or a SimpleSpanProcessor over an
   * InMemorySpanExporter in tests. Default: built from the environment (tracingFromEnv: a BatchSpanProcessor per
   * exporter named there); none there means tracing stays off and startTracing returns undefined.
   */
  spanProcessor?: SpanProcessor;
  /**
   * Your own tracer provider (e.g. the one an OpenTelemetry NodeSDK registered): spans are made with it, and
   * `spanProcessor` (then required) receives the workflow spans, which no tracer provider can take in.
   */
  tracerProvider?: TracerProvider;
  /** Merged over `service.name=kling-temporal` and the variables `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES`. */
  resource?: Resource;
  /** Where the exporter choice is read from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Turns tracing on, or returns undefined when nothing asks for it (no `spanProcessor`, no tracer provider, and
 * tracingFromEnv finds nothing configured): then no interceptor is installed and spans cost nothing.
 *
 * Registers, where nothing is registered yet, OpenTelemetry's globals the trace needs in this process: the
 * AsyncLocalStorage context manager (so a span started in an activity is the parent of the Kling HTTP spans it
 * causes), the W3C trace-context propagator (carried in Temporal headers), and the tracer provider (the Kling HTTP
 * and upload spans use the global API). Throws, naming the variable, on an exporter it cannot build.
 */
export function startTracing(options: TracingOptions = {}): KlingTracing | undefined {
  if (options.tracerProvider && !options.spanProcessor)
    throw new Error('startTracing: with a tracerProvider, give spanProcessor too (the workflow spans are exported through it)');
  const processors = options.spanProcessor ? [options.spanProcessor] : processorsFromEnv(options.env ?? process.env);
  if (!options.tracerProvider && processors.length === 0) return undefined;
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': TRACER_NAME }))
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(options.resource ?? null);
  const ownProvider = options.tracerProvider ? undefined : new BasicTracerProvider({ resource, spanProcessors: processors });
  const provider = options.tracerProvider ?? ownProvider!;
  const registered = registerGlobals(provider);
  const spanProcessor = options.spanProcessor ?? combine(processors);
  return {
    tracer: provider.getTracer(TRACER_NAME),
    spanProcessor,
    resource,
    shutdown: async () => {
      await (ownProvider ? ownProvider.shutdown() : spanProcessor.forceFlush());
      registered.release();
    },
  };
}

function processorsFromEnv(env: NodeJS.ProcessEnv): SpanProcessor[] {
  const config = tracingFromEnv(env);
  if (!config) return [];
  // The OTLP exporter reads its endpoint, headers and timeout from the OTEL_EXPORTER_OTLP_* variables itself.
  return config.exporters.map((name) => new BatchSpanProcessor(name === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter()));
}

/** One processor over several (the env may name two exporters); the workflow sink takes exactly one. */
function combine(processors: SpanProcessor[]): SpanProcessor {
  if (processors.length === 1) return processors[0]!;
  return {
    onStart: (span, ctx) => processors.forEach((p) => p.onStart(span, ctx)),
    onEnd: (span) => processors.forEach((p) => p.onEnd(span)),
    forceFlush: async () => void (await Promise.all(processors.map((p) => p.forceFlush()))),
    shutdown: async () => void (await Promise.all(processors.map((p) => p.shutdown()))),
  };
}

/** Sets each global that is still unset; `release` unsets exactly those again. */
function registerGlobals(provider: TracerProvider): { release(): void } {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const ownContext = context.setGlobalContextManager(contextManager);
  if (!ownContext) contextManager.disable();
  const ownPropagator = propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const ownProvider = trace.setGlobalTracerProvider(provider);
  return {
    release: () => {
      if (ownProvider) trace.disable();
      if (ownPropagator) propagation.disable();
      if (ownContext) context.disable();
    },
  };
}
