import { SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { tracingRequestedByEnv } from './env.js';
import { TRACER_NAME, type KlingTracing } from './setup.js';

/**
 * How VideoGenerationClient traces: `true` with the global OpenTelemetry API (your service's SDK), a KlingTracing
 * from startTracing, or `false`. Default: on when the standard variables ask for tracing (tracingRequestedByEnv).
 */
export type ClientTracingOption = boolean | Pick<KlingTracing, 'tracer'>;

/** The tracer to use, or undefined when tracing is off (then nothing is wrapped and nothing is added to headers). */
export function clientTracer(option: ClientTracingOption | undefined, env: NodeJS.ProcessEnv = process.env): Tracer | undefined {
  const on = option === undefined ? tracingRequestedByEnv(env) : option !== false;
  if (!on) return undefined;
  return typeof option === 'object' ? option.tracer : trace.getTracer(TRACER_NAME);
}

/**
 * `client` with the OpenTelemetry workflow-client interceptor added (a span per start, signal, query, update…,
 * whose context travels in the workflow's headers). A new Client on the same connection, namespace, data converter
 * and interceptors: interceptors are fixed when a Client is made.
 */
export function withTracingInterceptor(client: Client, tracer: Tracer): Client {
  const { options } = client;
  const existing = options.interceptors.workflow;
  // The deprecated object form ({ calls: [...] }) cannot take another interceptor beside it.
  if (existing !== undefined && !Array.isArray(existing))
    throw new Error('tracing: the Client uses the deprecated `interceptors.workflow.calls` form; give its interceptors as an array to trace');
  return new Client({
    connection: client.connection,
    namespace: options.namespace,
    identity: options.identity,
    dataConverter: options.loadedDataConverter,
    workflow: options.workflow,
    interceptors: { ...options.interceptors, workflow: [...(existing ?? []), new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
  });
}

/** Runs `fn` in an active span (the caller's call, parent of the Temporal start span); errors mark it failed. */
export async function inSpan<T>(tracer: Tracer, name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}
