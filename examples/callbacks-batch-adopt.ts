// Runnable: npx tsx examples/callbacks-batch-adopt.ts
// Needs a Temporal server with the project's search attributes: `npx kling-video dev` (or `npm start -- --keep`)
// prints the address; set TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (default localhost:7233, default).
// In this one process: the Kling simulator (signing its callbacks), a worker with the callback receiver, and local
// storage in a temporary directory. Then, through the same client a backend service uses:
//   1. a generation woken by a signed Kling callback (one status query confirms it),
//   2. a batch of three, whose tasks the batch looks up 20 per call,
//   3. the adoption of a task created outside Temporal (nothing created, nothing spent).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startCallbackReceiver } from '../src/callbacks/receiver.js';
import { temporalSignaller } from '../src/callbacks/signal.js';
import { VideoGenerationClient, type BatchRequest } from '../src/client.js';
import { KlingClient } from '../src/kling/index.js';
import { startSimulator } from '../src/simulator/index.js';
import { createLocalStorage } from '../src/storage/index.js';
import { createKlingWorker } from '../src/worker.js';

const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
// A made-up secret: Kling shows yours in its console; configure it as KLING_WEBHOOK_SECRETS.
const WEBHOOK_SECRET = 'whsec_ZXhhbXBsZS1zZWNyZXQtZm9yLXRoZS1zaW11bGF0b3I=';
const PROMPT = 'A lighthouse on a cliff at dusk, waves crashing below, slow aerial orbit, warm window light, cinematic';
const run = `${Date.now().toString(36)}`;
const taskQueue = `example-${run}`;

const sim = await startSimulator({ schedule: { submittedMs: 300, processingMs: 1_500 }, callbacks: { secrets: [WEBHOOK_SECRET] } });
const dir = await mkdtemp(path.join(tmpdir(), 'kling-example-'));
const connection = await Connection.connect({ address });
const client = new Client({ connection, namespace });
const receiver = await startCallbackReceiver({
  signal: temporalSignaller(client),
  secrets: [WEBHOOK_SECRET],
  host: '127.0.0.1',
  port: 0,
  logger: { info() {}, warn: console.warn },
});
const nativeConnection = await NativeConnection.connect({ address });
const kling = new KlingClient({ baseUrl: sim.url, credentials: { apiKey: sim.credentials.apiKeys[0]! } });
try {
  const worker = await createKlingWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    deps: {
      kling,
      storage: createLocalStorage({ root: dir }),
      // The simulator's CDN is plain http on loopback; Kling's is https on its own hosts (the default policy).
      videoHosts: { allow: [new URL(sim.url).host], allowHttp: true },
      // Kling must reach this URL; in production it is your public https endpoint (docs/callbacks.md).
      callbackUrl: `${receiver.url}/kling/callback`,
      callbackFallbackPoll: { initialInterval: 30_000, maxInterval: 120_000 },
    },
  });
  const videos = new VideoGenerationClient(client, { taskQueue });

  await worker.runUntil(async () => {
    // 1. Callbacks: the fallback poll is 30 s, yet the video is stored about as soon as Kling finishes.
    const started = Date.now();
    const one = await (
      await videos.startVideoGeneration(
        { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 },
        { workflowId: `example-cb-${run}` },
      )
    ).result();
    console.log(
      `callback: stored ${one.uri} in ${((Date.now() - started) / 1000).toFixed(1)} s after callbacks, status queries: ${one.polls} (one per callback announcing an end); receiver ${JSON.stringify(receiver.counters())}`,
    );

    // 2. A batch: slot-aware, within a budget, its new-standard tasks looked up together every 2 s.
    const items = ['at dawn', 'in fog', 'under stars'].map((when): BatchRequest['items'][number] => ({
      request: { model: 'kling-2.6', kind: 'text-to-video', prompt: `${PROMPT}, ${when}`, duration: 5, standard: 'new' },
    }));
    const batch = await (
      await videos.startBatch(
        { items, options: { concurrency: 2, maxCredits: 200, batchPolling: { interval: '2s' } } },
        { workflowId: `example-batch-${run}` },
      )
    ).result();
    console.log(
      `batch: ${batch.progress.succeeded} succeeded, ${batch.progress.failed} failed, ${batch.progress.skipped} skipped; ${batch.progress.credits.actual} credits`,
    );
    for (const item of batch.items) console.log(`  #${item.index} ${item.outcome}${item.outcome === 'succeeded' ? ` ${item.uri}` : ''}`);

    // 3. Adoption: a task someone created without this project (or whose generation's deadline passed).
    const elsewhere = await kling.createTask({
      model: 'kling-2.6',
      kind: 'text-to-video',
      prompt: `${PROMPT}, made elsewhere`,
      duration: 5,
      externalTaskId: `elsewhere-${run}`,
    });
    const adopted = await (await videos.adoptVideo({ taskId: elsewhere.taskId })).result();
    console.log(`adopt: task ${adopted.klingTaskId} stored ${adopted.uri}; submissions ${adopted.submissions}, ${adopted.credits.actual} credits`);
  });
} finally {
  await receiver.close();
  await nativeConnection.close();
  await connection.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
