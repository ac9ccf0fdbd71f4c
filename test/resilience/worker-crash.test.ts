// The worker process is SIGKILLed in each phase (submit with the create accepted but unanswered, a status
// check in flight while Kling processes, the download/upload mid-body); a fresh worker process finishes the
// workflow. Invariant: one Kling task, one create request, one object with the right bytes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Storage } from '@google-cloud/storage';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import type { GenerateVideoInput } from '../../src/shared/generation.js';
import { startSimulator, type FaultInput, type Simulator } from '../../src/simulator/index.js';
import type { ManagedProcess } from '../support/processes.js';
import { createDevServerEnv, gcsStorage, uniqueBucketName, uniqueId } from '../support/servers.js';
import { expectExactlyOnce, sigkill, startWorkerProcess, tasksFor, waitFor, writeWorkflowBundle } from './helpers.js';

const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, soft bokeh background, golden hour lighting, macro lens, 4K';
const RUNS_PER_PHASE = 2;

/** Short timeouts so a dead worker's attempt is retried within seconds (defaults: 2 min, 30 s, 30 s). */
const INPUT = (): GenerateVideoInput => ({
  request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 },
  options: {
    poll: { initialInterval: 300, backoffCoefficient: 1.5, maxInterval: 1_000 },
    activityTimeouts: { submitStartToClose: '4s', statusStartToClose: '4s', rehostHeartbeat: '3s' },
  },
});

let env: TestWorkflowEnvironment;
let gcs: Storage;
let bucket: string;
let dir: string;
let bundlePath: string;
let videos: VideoGenerationClient;

beforeAll(async () => {
  env = await createDevServerEnv();
  gcs = gcsStorage();
  bucket = uniqueBucketName('crash');
  await gcs.createBucket(bucket);
  dir = await mkdtemp(path.join(tmpdir(), 'kt-crash-'));
  bundlePath = await writeWorkflowBundle(dir);
  videos = new VideoGenerationClient(env.client);
});
afterAll(async () => {
  await env?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * One crash run with its own simulator (so concurrent runs' scripted faults cannot cross): starts a generation
 * on a fresh worker process, waits for `inPhase`, SIGKILLs the worker, starts another, checks the invariant.
 */
async function crashDuring(
  faults: FaultInput[],
  inPhase: (sim: Simulator, workflowId: string) => Promise<void>,
  options: { resumableUpload?: boolean } = {},
): Promise<void> {
  // 256 KiB videos, tasks processing for 2 s: long enough to crash inside each phase.
  const sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 2_000 }, videoSizeBytes: 256 * 1024 });
  const workers: ManagedProcess[] = [];
  const worker = async (taskQueue: string) => {
    const proc = await startWorkerProcess({ taskQueue, simUrl: sim.url, bucket, bundlePath, resumableUpload: options.resumableUpload });
    workers.push(proc);
    return proc;
  };
  try {
    sim.faults.script(faults);
    const taskQueue = uniqueId('crash');
    const workflowId = uniqueId('crash');
    const first = await worker(taskQueue);
    await videos.startVideoGeneration(INPUT().request, { workflowId, taskQueue, options: INPUT().options });
    await inPhase(sim, workflowId);
    await sigkill(first);
    await worker(taskQueue);
    const result = await videos.result(workflowId);
    await expectExactlyOnce(sim, gcs, bucket, workflowId, result);
  } finally {
    await Promise.all(workers.map((w) => w.stop(1_000)));
    await sim.close();
  }
}

describe('SIGKILL of the worker process in each phase; a new worker process completes the workflow', () => {
  // The three phases run side by side (each with its own simulator and worker processes); the runs follow each other.
  for (let run = 1; run <= RUNS_PER_PHASE; run++) {
    describe.concurrent(`run ${run}`, () => {
      it('submit: the create was accepted but not yet answered', async () => {
        await crashDuring([{ route: 'create', kind: 'accept-then-hang' }], async (sim, workflowId) => {
          await waitFor('the accepted create', () => tasksFor(sim, workflowId).length === 1);
          const create = sim.requests.find((r) => r.routeKind === 'create' && r.fault === 'accept-then-hang');
          expect(create?.status).toBeNull(); // accepted, never answered: the activity cannot have completed
          expect((await videos.getProgress(workflowId)).phase).toBe('submitting');
        });
      });

      it('poll: a status check is in flight while Kling processes the task', async () => {
        await crashDuring([{ route: 'query', kind: 'slow-response', delayMs: 15_000 }], async (sim, workflowId) => {
          const task = await waitFor('the created task', () => tasksFor(sim, workflowId)[0]);
          await waitFor('a held status query', () => sim.requests.some((r) => r.routeKind === 'query' && r.fault === 'slow-response'));
          expect(sim.task(task.id)?.status).toMatch(/submitted|processing/);
          expect((await videos.getProgress(workflowId)).phase).toBe('generating');
        });
      });

      // Run 1 streams into one multipart upload request, run 2 into a resumable upload session: either is left
      // open, half written, by the kill.
      const resumableUpload = run % 2 === 0;
      it(`download/rehost: bytes are flowing from the CDN into the bucket (${resumableUpload ? 'resumable session' : 'multipart upload'})`, async () => {
        await crashDuring([{ route: 'download', kind: 'slow-body', chunkBytes: 4096, intervalMs: 50 }], async (sim, workflowId) => {
          const progress = await waitFor(
            'the transfer to report bytes',
            async () => {
              const p = await videos.getProgress(workflowId);
              return p.phase === 'rehosting' && (p.bytesTransferred ?? 0) > 0 ? p : undefined;
            },
            30_000,
            100,
          );
          expect(progress.bytesTransferred).toBeLessThan(256 * 1024);
          expect(sim.requests.some((r) => r.routeKind === 'download' && r.fault === 'slow-body')).toBe(true);
        }, { resumableUpload });
      });
    });
  }
});
