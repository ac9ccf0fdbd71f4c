import { createServer } from 'node:net';
import { DefaultLogger, Runtime, type LogLevel, type Logger } from '@temporalio/worker';
import { createJsonLogger } from '../logging/json-logger.js';

export interface WorkerRuntimeOptions {
  log: { format: 'human' | 'json'; level: LogLevel };
  /** Export Temporal's runtime metrics (core's Prometheus exporter, on a free loopback port). */
  runtimeMetrics: boolean;
}

/** A port the OS considers free right now (core's exporter needs a number: it cannot report the port it bound). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Installs the process's Temporal Runtime (once per process, before any connection): the logger every
 * workflow, activity and SDK line goes through (core's own lines are forwarded to it too, so JSON mode is
 * JSON throughout) and, when asked, core's Prometheus exporter on loopback only; the worker's metrics
 * endpoint appends its text (see startMetricsEndpoint). Returns that exporter's URL.
 */
export async function installWorkerRuntime(options: WorkerRuntimeOptions): Promise<{ logger: Logger; runtimeMetricsUrl?: string }> {
  const logger = options.log.format === 'json' ? createJsonLogger(options.log.level) : new DefaultLogger(options.log.level);
  const port = options.runtimeMetrics ? await freeLoopbackPort() : undefined;
  try {
    Runtime.install({
      logger,
      telemetryOptions: {
        // Core's own lines: warnings and errors, unless tracing (its DEBUG is a firehose of poll details).
        logging: { forward: {}, filter: { core: options.log.level === 'TRACE' ? 'DEBUG' : 'WARN', other: 'ERROR' } },
        ...(port === undefined ? {} : { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } }),
      },
    });
  } catch (err) {
    // An embedding process created the Runtime first: fine for default logs, not for what only install can set up.
    if (port === undefined && options.log.format === 'human') return { logger: Runtime.instance().logger };
    throw new Error(
      `KLING_METRICS_PORT / KLING_LOG_FORMAT=json need the worker to install the process's Temporal Runtime, but one exists already (${(err as Error).message})`,
    );
  }
  return { logger, ...(port === undefined ? {} : { runtimeMetricsUrl: `http://127.0.0.1:${port}/metrics` }) };
}
