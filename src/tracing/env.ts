/** The span exporters the worker can build from the environment. */
export type TraceExporterName = 'otlp' | 'console';

/** What the standard OpenTelemetry variables ask of the worker's tracing; undefined when tracing is off. */
export interface TracingEnvConfig {
  exporters: TraceExporterName[];
}

const SUPPORTED: ReadonlySet<string> = new Set<TraceExporterName>(['otlp', 'console']);

/**
 * Reads the standard OpenTelemetry variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
 * tracing is on when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`, or both comma-separated), or,
 * without it, when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (OTLP then). Off
 * with `OTEL_TRACES_EXPORTER=none`, `OTEL_SDK_DISABLED=true`, or none of these set. Throws, naming the variable,
 * for an exporter or OTLP protocol this worker cannot send (only `http/protobuf` is built in).
 */
export function tracingFromEnv(env: NodeJS.ProcessEnv = process.env): TracingEnvConfig | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  let exporters: TraceExporterName[];
  if (named.length > 0) {
    if (named.includes('none')) return undefined;
    const unknown = named.filter((n) => !SUPPORTED.has(n));
    if (unknown.length > 0)
      throw new Error(`OTEL_TRACES_EXPORTER: "${unknown.join(', ')}" is not built in; use otlp (http/protobuf), console or none`);
    exporters = [...new Set(named)] as TraceExporterName[];
  } else if (env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()) {
    exporters = ['otlp'];
  } else {
    return undefined;
  }
  if (exporters.includes('otlp')) {
    const variable = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    const protocol = env[variable]?.trim();
    if (protocol && protocol !== 'http/protobuf')
      throw new Error(`${variable}: "${protocol}" is not built in; unset it or use http/protobuf (a collector accepts it on port 4318)`);
  }
  return { exporters };
}

/**
 * Whether the environment asks for tracing at all, without judging the exporter: the client's test, since a
 * service that embeds it owns its OpenTelemetry SDK (whatever exporter that SDK uses) and only needs the trace
 * context carried into the workflow.
 */
export function tracingRequestedByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}
