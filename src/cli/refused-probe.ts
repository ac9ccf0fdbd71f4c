import { connect } from 'node:net';

/** The connection options the probe looks at (those of `Connection.connect`). */
export interface ProbedConnection {
  address?: string;
  tls?: unknown;
  apiKey?: unknown;
}

/** What the probe found: `refused` / `no-answer` when the connection cannot succeed (the error to report), else `go-on` with gRPC. */
export type ProbeResult = { kind: 'refused'; error: Error } | { kind: 'no-answer'; error: Error } | { kind: 'go-on' };

// Errors the OS gives at once and gRPC would only report at its deadline: nothing listens there, no such host.
const DEFINITE = new Set(['ECONNREFUSED', 'ENOTFOUND']);
const PROXY_VARIABLES = ['grpc_proxy', 'https_proxy', 'http_proxy'];

/** host and port of a plain `host:port` or `[v6]:port` address; undefined for anything else (unix:, dns:, no port). */
export function plainHostPort(address: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(address);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? (match[2] as string), port };
}

/**
 * A TCP probe of the Temporal address before `Connection.connect`. gRPC's `waitForReady` retries a refused
 * connection until its deadline, so a mistyped address (nothing listening, no such host) would cost the whole
 * connect timeout for an answer the OS gave in a millisecond. Only a plain `host:port` without TLS, API key or
 * gRPC proxy is probed (elsewhere the TCP peer is not the server: keep gRPC's own timeout). A server that accepts
 * the TCP connection, however slow, gets the full gRPC timeout afterwards (`go-on`); nothing accepting it within
 * `timeoutMs` is `no-answer` (gRPC, which needs that connection first, could not have connected either).
 */
export async function probeTemporalAddress(options: ProbedConnection, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<ProbeResult> {
  const target = options.address === undefined ? undefined : plainHostPort(options.address);
  if (!target || options.tls || options.apiKey) return { kind: 'go-on' };
  if (PROXY_VARIABLES.some((name) => env[name] || env[name.toUpperCase()])) return { kind: 'go-on' };
  return await new Promise<ProbeResult>((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        done({ kind: 'no-answer', error: new Error(`no TCP connection to ${target.host}:${String(target.port)} within ${String(timeoutMs)} ms`) }),
      timeoutMs,
    );
    socket.once('connect', () => done({ kind: 'go-on' }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (!err.code || !DEFINITE.has(err.code)) return done({ kind: 'go-on' });
      const what =
        err.code === 'ENOTFOUND'
          ? `host ${target.host} not found (ENOTFOUND)`
          : `connection refused (ECONNREFUSED): nothing listens on ${target.host}:${String(target.port)}`;
      done({ kind: 'refused', error: new Error(what) });
    });
  });
}
