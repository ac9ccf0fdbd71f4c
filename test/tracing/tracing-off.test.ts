// Tracing is opt-in: off, nothing is added (no interceptor, no workflow module, no sink, no span wrapper); the
// standard OTEL_* variables turn it on, and an exporter or protocol the worker cannot build is refused by name.
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  clientTracer,
  otelWorkflowInterceptorModule,
  startTracing,
  tracingFromEnv,
  tracingRequestedByEnv,
  tracingWorkerParts,
} from '../../src/tracing/index.js';
import { workflowInterceptorModules } from '../../src/worker.js';

describe('tracing off', () => {
  it('adds no activity interceptor, no workflow interceptor module and no sink to a worker', () => {
    expect(tracingWorkerParts(undefined)).toEqual({ activity: [], workflowModules: [], sinks: {} });
    expect(workflowInterceptorModules()).toHaveLength(1);
    expect(workflowInterceptorModules()).not.toContain(otelWorkflowInterceptorModule());
  });

  it('starts nothing and registers no global when no option and no variable asks for it', () => {
    expect(startTracing({ env: {} })).toBeUndefined();
    expect(startTracing({ env: { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' } })).toBeUndefined();
    expect(startTracing({ env: { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' } })).toBeUndefined();
    // The global tracer is still the API's no-op: a span made through it records nothing.
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  });

  it('leaves the client without a tracer (its Client used as given) unless asked', () => {
    expect(clientTracer(undefined, {})).toBeUndefined();
    expect(clientTracer(false, { OTEL_TRACES_EXPORTER: 'otlp' })).toBeUndefined();
    expect(clientTracer(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeDefined();
    expect(clientTracer(true, {})).toBeDefined();
  });
});

describe('tracing from the standard variables', () => {
  it('turns on with OTEL_TRACES_EXPORTER or an OTLP endpoint', () => {
    expect(tracingFromEnv({})).toBeUndefined();
    expect(tracingFromEnv({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ exporters: ['otlp'] });
    expect(tracingFromEnv({ OTEL_TRACES_EXPORTER: 'otlp, console' })).toEqual({ exporters: ['otlp', 'console'] });
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ exporters: ['otlp'] });
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toEqual({ exporters: ['otlp'] });
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toEqual({
      exporters: ['otlp'],
    });
    expect(tracingRequestedByEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toBe(true);
    expect(tracingRequestedByEnv({ OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('refuses, naming the variable, an exporter or protocol it cannot build', () => {
    expect(() => tracingFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/^OTEL_TRACES_EXPORTER: "zipkin" is not built in/);
    expect(() => tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /^OTEL_EXPORTER_OTLP_PROTOCOL: "grpc"/,
    );
    expect(() => tracingFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })).toThrow(
      /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http\/json"/,
    );
  });

  it('with a span processor: the worker gets the interceptors, the workflow module and the span sink; shutdown unregisters', async () => {
    const tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()), env: {} });
    expect(tracing).toBeDefined();
    const parts = tracingWorkerParts(tracing);
    expect(parts.activity).toHaveLength(1);
    expect(parts.workflowModules).toEqual([otelWorkflowInterceptorModule()]);
    expect(Object.keys(parts.sinks)).toEqual(['exporter']);
    expect(workflowInterceptorModules({ tracing: true })).toContain(otelWorkflowInterceptorModule());
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(true);
    await tracing!.shutdown();
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  });
});
