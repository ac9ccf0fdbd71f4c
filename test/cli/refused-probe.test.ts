// The TCP probe before connecting to Temporal: nothing listening (or no such host) is reported at once instead of
// after gRPC's connect timeout; a server that accepts the connection, and any address the probe cannot judge (TLS,
// API key, a gRPC proxy, not a plain host:port), goes on to gRPC with its full timeout. No Temporal server needed.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../src/cli/dev/processes.js';
import { probeTemporalAddress, plainHostPort } from '../../src/cli/refused-probe.js';
import { cleanEnv, runCliInProcess } from './cli-process.js';

const NO_PROXY = {};
let server: Server;
let listening: string;
let accepted = 0;

beforeAll(async () => {
  // Accepts TCP and never speaks gRPC: a slow-but-alive server, as far as the probe can tell.
  server = createServer((socket) => {
    accepted += 1;
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  listening = `127.0.0.1:${String((server.address() as { port: number }).port)}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('probeTemporalAddress', () => {
  it('nothing listening is refused, naming ECONNREFUSED and the address', async () => {
    const [port] = (await freePorts(1)) as [number];
    const result = await probeTemporalAddress({ address: `127.0.0.1:${String(port)}` }, 5_000, NO_PROXY);
    expect(result.kind).toBe('refused');
    expect(result.kind !== 'go-on' && result.error.message).toBe(`connection refused (ECONNREFUSED): nothing listens on 127.0.0.1:${String(port)}`);
    // The default address's form: a name the OS resolves (every address of localhost refused).
    expect((await probeTemporalAddress({ address: `localhost:${String(port)}` }, 5_000, NO_PROXY)).kind).toBe('refused');
  });

  it('a server that accepts the connection goes on to gRPC (which keeps its full timeout)', async () => {
    const before = accepted;
    expect(await probeTemporalAddress({ address: listening }, 5_000, NO_PROXY)).toEqual({ kind: 'go-on' });
    await expect.poll(() => accepted).toBe(before + 1);
  });

  it('TLS, an API key, a gRPC proxy, or no plain host:port: not probed (the TCP peer may not be the server)', async () => {
    const [port] = (await freePorts(1)) as [number];
    const closed = `127.0.0.1:${String(port)}`;
    expect(await probeTemporalAddress({ address: closed, tls: true }, 5_000, NO_PROXY)).toEqual({ kind: 'go-on' });
    expect(await probeTemporalAddress({ address: closed, tls: {} }, 5_000, NO_PROXY)).toEqual({ kind: 'go-on' });
    expect(await probeTemporalAddress({ address: closed, apiKey: 'key' }, 5_000, NO_PROXY)).toEqual({ kind: 'go-on' });
    for (const variable of ['grpc_proxy', 'HTTPS_PROXY', 'http_proxy'])
      expect(await probeTemporalAddress({ address: closed }, 5_000, { [variable]: 'http://proxy.example:3128' }), variable).toEqual({
        kind: 'go-on',
      });
    expect(await probeTemporalAddress({ address: 'unix:/tmp/temporal.sock' }, 5_000, NO_PROXY)).toEqual({ kind: 'go-on' });
    expect(await probeTemporalAddress({}, 5_000, NO_PROXY)).toEqual({ kind: 'go-on' });
  });
});

describe('plainHostPort', () => {
  it('host:port and [v6]:port only', () => {
    expect(plainHostPort('localhost:7233')).toEqual({ host: 'localhost', port: 7233 });
    expect(plainHostPort('[::1]:7233')).toEqual({ host: '::1', port: 7233 });
    expect(plainHostPort('temporal.example.com:443')).toEqual({ host: 'temporal.example.com', port: 443 });
    for (const other of ['localhost', 'dns:///localhost:7233', 'unix:/tmp/s', 'host:0', 'host:70000', 'http://host:7233'])
      expect(plainHostPort(other), other).toBeUndefined();
  });
});

describe('commands that connect use the probe', () => {
  it('a refused address exits 8 (TemporalUnreachable) with the OS answer, not the gRPC deadline', async () => {
    const [port] = (await freePorts(1)) as [number];
    const run = await runCliInProcess(['list', '--json'], { env: cleanEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${String(port)}` }) });
    expect(run.code).toBe(8);
    const { error } = JSON.parse(run.stdout) as { error: { type: string; message: string } };
    expect(error.type).toBe('TemporalUnreachable');
    expect(error.message).toContain(`cannot reach Temporal at 127.0.0.1:${String(port)} (namespace default): connection refused (ECONNREFUSED)`);
    expect(error.message).not.toContain('Failed to connect before the deadline');
  });

  it('callbacks: a refused address exits 8 with the OS answer before the receiver starts', async () => {
    const [port, listen] = (await freePorts(2)) as [number, number];
    const run = await runCliInProcess(['callbacks', '--listen', `127.0.0.1:${String(listen)}`], {
      env: cleanEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${String(port)}` }),
    });
    expect(run.code, run.stderr).toBe(8);
    expect(run.stderr).toContain(`cannot reach Temporal at 127.0.0.1:${String(port)} (namespace default): connection refused (ECONNREFUSED)`);
  });
});
