import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { request } from 'undici';

export interface MetricsEndpointOptions {
  /** Port to listen on (0: any free port, for tests). */
  port: number;
  /** Interface to bind. Default `0.0.0.0`: metrics are served only when a port is configured, i.e. to be scraped. */
  host?: string;
  /** The project's metrics (KlingMetrics.registry). */
  registry: Registry;
  /** Temporal core's own Prometheus exporter (a loopback URL), appended to every scrape. */
  runtimeMetricsUrl?: string;
}

export interface MetricsEndpoint {
  /** `http://host:port/metrics` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * One scrape target, `GET /metrics`, for everything the worker measures. Temporal's runtime metrics come from
 * core's Prometheus exporter, which can only run as its own HTTP server and exports nothing to JavaScript; the
 * worker binds it to loopback and this endpoint appends its text to prom-client's. One port to expose and one
 * scrape config, instead of two endpoints that must be documented, firewalled and scraped separately. The two
 * sets of names cannot collide: Temporal's start with `temporal_`, the project's with `kling_`.
 * If the runtime exporter does not answer, the project's metrics are still served, with a comment saying so.
 */
export async function startMetricsEndpoint(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    scrape(options).then(
      (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
      (err: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function scrape(options: MetricsEndpointOptions): Promise<string> {
  const own = await options.registry.metrics();
  if (!options.runtimeMetricsUrl) return own;
  return `${own.trimEnd()}\n${await runtimeMetrics(options.runtimeMetricsUrl)}`;
}

async function runtimeMetrics(url: string): Promise<string> {
  try {
    const res = await request(url, { headersTimeout: 5_000, bodyTimeout: 5_000 });
    const text = await res.body.text();
    if (res.statusCode !== 200) return `# Temporal runtime metrics unavailable: HTTP ${res.statusCode}\n`;
    return text.endsWith('\n') ? text : `${text}\n`;
  } catch (err) {
    return `# Temporal runtime metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`;
  }
}
