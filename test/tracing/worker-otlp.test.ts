// The worker as a process, tracing from the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT sends its spans over
// OTLP http/protobuf to a collector (here a capturing HTTP server), in the trace the caller's start began, flushed
// when the worker stops; an exporter it cannot build stops it at start, naming the variable.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { startTracing, type KlingTracing } from '../../src/tracing/index.js';
import { createDevServerEnv, uniqueId } from '../support/servers.js';
import { simulatorWorkerEnv, spawnWorker } from '../support/worker-process.js';

let env: TestWorkflowEnvironment;
let sim: Simulator;
let worker: ChildProcess | undefined;
let collector: http.Server;
let tracing: KlingTracing;
const exports: Array<{ path: string; contentType: string; body: Buffer }> = [];
const clientSpans = new InMemorySpanExporter();

beforeAll(async () => {
  env = await createDevServerEnv();
  sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 300 } });
  collector = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      exports.push({ path: `${req.method} ${req.url}`, contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  // The caller's side: its spans stay in this process; the trace context travels to the worker in the headers.
  tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(clientSpans) })!;
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  collector?.close();
  await sim?.close();
  await env?.teardown();
  await tracing?.shutdown();
});

describe('the worker process with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('exports the workflow, activity, Kling HTTP and upload spans over OTLP http/protobuf, in the caller’s trace', async () => {
    const taskQueue = uniqueId('otlp');
    const started = spawnWorker({
      ...simulatorWorkerEnv(sim.url, taskQueue, await mkdtemp(path.join(tmpdir(), 'kt-otlp-'))),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as { port: number }).port}`,
      OTEL_SERVICE_NAME: 'kling-worker-under-test',
    });
    worker = started.child;

    const videos = new VideoGenerationClient(env.client, { taskQueue, tracing });
    const workflowId = uniqueId('otlp');
    await videos.generate(
      { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A paper boat drifting down a rain gutter, close-up', duration: 5 },
      { workflowId, options: { poll: { initialInterval: 200, maxInterval: 500 } } },
    );
    // Spans are batched: SIGTERM stops the worker gracefully, which flushes them before the process exits.
    worker.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    worker = undefined;

    expect(exports.length).toBeGreaterThan(0);
    for (const e of exports) expect(e).toMatchObject({ path: 'POST /v1/traces', contentType: 'application/x-protobuf' });
    const sent = Buffer.concat(exports.map((e) => e.body));
    for (const name of [
      'RunWorkflow:generateVideo',
      'RunActivity:submitVideoTask',
      'RunActivity:rehostVideo',
      'POST /text-to-video/kling-2.6',
      'GET /tasks',
      'storage.upload',
      'kling-worker-under-test',
    ])
      expect(sent.includes(Buffer.from(name)), name).toBe(true);
    // OTLP protobuf carries trace ids as 16 raw bytes: the caller's trace id is in the worker's export.
    const root = clientSpans.getFinishedSpans().find((s) => s.name === 'startVideoGeneration');
    expect(root).toBeDefined();
    expect(sent.includes(Buffer.from(root!.spanContext().traceId, 'hex'))).toBe(true);
    expect(sent.includes(Buffer.from('sim-api-key'))).toBe(false);
  });

  it('refuses an exporter it cannot build, naming the variable', async () => {
    const { output, exited } = spawnWorker({ KLING_BASE_URL: sim.url, KLING_API_KEY: 'sim-api-key', OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(await exited).toBe(1);
    expect(output()).toContain('OTEL_TRACES_EXPORTER: "zipkin" is not built in');
  });
});
