// The benchmark's measured child process: `node --import tsx bench/agent.ts <control-port>`.
// It runs what is being measured - one generateVideo worker, a raw stream copy, or the seed's plain loop - in
// a process of its own, so its CPU seconds and peak memory are its own and not the simulator's or the
// client's; or the floor row's bare worker (bench/floor-workflows.ts). The main process (bench/run.ts) drives it
// over a loopback HTTP control port:
//   POST /worker  POST /floor-worker  POST /raw-copy  POST /seed-loop  POST /reset-peak  GET /stats  POST /shutdown
// It stops its worker and exits on SIGTERM (ManagedProcess.stop) or POST /shutdown.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Storage } from '@google-cloud/storage';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { request } from 'undici';
import type { z } from 'zod';
import { AgentStats, RawCopyCommand, SeedLoopCommand, StartFloorWorkerCommand, StartWorkerCommand } from './agent-protocol.js';
import { peakRssBytes, resetPeakRss } from './proc-stats.js';
import { runSeedLoop } from './seed-loop.js';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: bench/agent.ts <control-port>');

// Peak memory: VmHWM where the kernel lets us reset it, and 50 ms sampling as a floor either way.
let sampledPeak = process.memoryUsage.rss();
const sampler = setInterval(() => {
  sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
}, 50);

function stats(): AgentStats {
  const cpu = process.cpuUsage();
  const rss = process.memoryUsage.rss();
  sampledPeak = Math.max(sampledPeak, rss);
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBytes: rss,
    peakRssBytes: Math.max(sampledPeak, peakRssBytes() ?? 0),
    heapUsedBytes: process.memoryUsage().heapUsed,
  };
}

let worker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;

async function startWorker(command: StartWorkerCommand): Promise<void> {
  if (worker) throw new Error('a worker is running already');
  // Loaded on demand: a seed-loop agent must not carry the Temporal worker's native core in its memory figure.
  const [{ DefaultLogger, NativeConnection, Runtime }, { KlingClient }, { createGcsStorage }, { createKlingWorker }] = await Promise.all([
    import('@temporalio/worker'),
    import('../src/kling/index.js'),
    import('../src/storage/index.js'),
    import('../src/worker.js'),
  ]);
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const connection = await NativeConnection.connect({ address: command.temporalAddress });
  const gcs = new Storage({ projectId: 'bench', apiEndpoint: command.gcsUrl, useAuthWithCustomEndpoint: false });
  const created = await createKlingWorker({
    connection,
    namespace: command.namespace,
    taskQueue: command.taskQueue,
    workflowBundle: { codePath: command.workflowBundlePath },
    ...(command.maxConcurrentWorkflowTaskExecutions ? { maxConcurrentWorkflowTaskExecutions: command.maxConcurrentWorkflowTaskExecutions } : {}),
    ...(command.maxConcurrentActivityTaskExecutions ? { maxConcurrentActivityTaskExecutions: command.maxConcurrentActivityTaskExecutions } : {}),
    deps: {
      kling: new KlingClient({ baseUrl: command.simulatorUrl, credentials: { apiKey: command.simulatorApiKey }, requestTimeoutMs: 60_000 }),
      storage: createGcsStorage({ bucket: command.bucket, prefix: 'videos', urlMode: 'public', storage: gcs, apiEndpoint: command.gcsUrl }),
      // The simulator's CDN: plain http on a loopback IP literal, allowed explicitly.
      videoHosts: { allow: [new URL(command.simulatorUrl).host], allowHttp: true },
      ...(command.accountSlots ? { accountSlots: { default: command.accountSlots, perModel: {} } } : {}),
    },
  });
  const running = created.run();
  running.catch((err: unknown) => {
    console.error(`[bench agent] worker stopped: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
  worker = { worker: created, running, connection };
}

/**
 * The floor row: a bare Worker.create with the floor's three workflows and its three activities, nothing else (no
 * interceptors, sinks, metrics or storage). Its tuning comes with the command (issue 16's floor: 200 workflow-task
 * slots, 400 activity slots, a cache of N + 100).
 */
async function startFloorWorker(command: StartFloorWorkerCommand): Promise<void> {
  if (worker) throw new Error('a worker is running already');
  const [{ DefaultLogger, NativeConnection, Runtime, Worker }, { KlingClient }, { createFloorActivities }] = await Promise.all([
    import('@temporalio/worker'),
    import('../src/kling/index.js'),
    import('./floor-activities.js'),
  ]);
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const connection = await NativeConnection.connect({ address: command.temporalAddress });
  const created = await Worker.create({
    connection,
    namespace: command.namespace,
    taskQueue: command.taskQueue,
    workflowBundle: { codePath: command.workflowBundlePath },
    activities: createFloorActivities(
      new KlingClient({ baseUrl: command.simulatorUrl, credentials: { apiKey: command.simulatorApiKey }, requestTimeoutMs: 60_000 }),
    ),
    maxConcurrentWorkflowTaskExecutions: command.maxConcurrentWorkflowTaskExecutions,
    maxConcurrentActivityTaskExecutions: command.maxConcurrentActivityTaskExecutions,
    maxConcurrentLocalActivityExecutions: command.maxConcurrentActivityTaskExecutions,
    maxCachedWorkflows: command.maxCachedWorkflows,
  });
  const running = created.run();
  running.catch((err: unknown) => {
    console.error(`[bench agent] floor worker stopped: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
  worker = { worker: created, running, connection };
}

/** The comparison for the rehost: the same bytes from the same URL to the same server, nothing else. */
async function rawCopy(command: RawCopyCommand): Promise<{ bytes: number; ms: number }> {
  const gcs = new Storage({ projectId: 'bench', apiEndpoint: command.gcsUrl, useAuthWithCustomEndpoint: false });
  const t0 = performance.now();
  const res = await request(command.url);
  if (res.statusCode !== 200) throw new Error(`raw copy: GET answered HTTP ${res.statusCode}`);
  let bytes = 0;
  res.body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  const file = gcs.bucket(command.bucket).file(command.objectName);
  await pipeline(res.body, file.createWriteStream({ resumable: command.resumable, metadata: { contentType: 'video/mp4' } }));
  return { bytes, ms: performance.now() - t0 };
}

async function stop(): Promise<void> {
  clearInterval(sampler);
  if (worker) {
    if (worker.worker.getState() === 'RUNNING') worker.worker.shutdown();
    await worker.running.catch(() => undefined);
    await worker.connection.close().catch(() => undefined);
  }
  server.close();
  server.closeAllConnections();
}

async function readJson<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.infer<T>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return schema.parse(text === '' ? {} : JSON.parse(text));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? null));
}

const server = createServer((req, res) => {
  const route = `${req.method ?? ''} ${req.url ?? ''}`;
  const handle = async (): Promise<unknown> => {
    switch (route) {
      case 'GET /stats':
        return stats();
      case 'POST /reset-peak':
        resetPeakRss();
        sampledPeak = process.memoryUsage.rss();
        return stats();
      case 'POST /worker':
        return startWorker(await readJson(req, StartWorkerCommand));
      case 'POST /floor-worker':
        return startFloorWorker(await readJson(req, StartFloorWorkerCommand));
      case 'POST /raw-copy':
        return rawCopy(await readJson(req, RawCopyCommand));
      case 'POST /seed-loop':
        return runSeedLoop(await readJson(req, SeedLoopCommand));
      case 'POST /shutdown':
        setImmediate(() => void stop());
        return { stopping: true };
      default:
        throw Object.assign(new Error(`no route ${route}`), { status: 404 });
    }
  };
  handle().then(
    (body) => send(res, 200, body),
    (err: unknown) => send(res, (err as { status?: number }).status ?? 500, { error: err instanceof Error ? err.message : String(err) }),
  );
});
server.requestTimeout = 0; // a seed loop over many videos answers after minutes
server.listen(port, '127.0.0.1');

process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
