// The worker process is SIGKILLed in each phase (validation running, submit with the create accepted but
// unanswered, a status check in flight while Kling processes, the download/upload mid-body, the upload's last
// byte sent but not committed); a fresh worker process finishes the workflow. Invariant: one Kling task, one
// create request, one object with the right bytes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Storage } from '@google-cloud/storage';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient, type GenerationRequest } from '../../src/client.js';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { startSimulator, type FaultInput, type Simulator } from '../../src/simulator/index.js';
import type { ManagedProcess } from '../support/processes.js';
import { createDevServerEnv, gcsStorage, testServers, uniqueBucketName, uniqueId } from '../support/servers.js';
import { recordTestLog } from '../security/secret-scan.js';
import { startHoldingGcsProxy, type HoldingGcsProxy } from './holding-gcs-proxy.js';
import {
  CRASH_OPTIONS,
  CRASH_REQUEST,
  expectExactlyOnce,
  objectsFor,
  sigkill,
  startWorkerProcess,
  tasksFor,
  waitFor,
  writeWorkflowBundle,
} from './helpers.js';

const RUNS_PER_PHASE = 2;
const VIDEO_BYTES = 256 * 1024;

/** Short timeouts so a dead worker's attempt is retried within seconds (CRASH_OPTIONS). */
const INPUT = (): GenerateVideoInput & { request: GenerationRequest } => ({ request: { ...CRASH_REQUEST }, options: { ...CRASH_OPTIONS } });

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

interface CrashRun {
  sim: Simulator;
  workflowId: string;
  /** The first worker process (the one to be killed). */
  worker: ManagedProcess;
  /** The holding proxy the worker stores through, when the run asked for one. */
  proxy?: HoldingGcsProxy;
}

interface CrashOptions {
  /** Scripted simulator faults for this run. */
  faults?: FaultInput[];
  /** The worker stores through a resumable upload session (default: one multipart request). */
  resumableUpload?: boolean;
  /** The first worker stores through a proxy that holds back its first complete upload (holding-gcs-proxy.ts). */
  holdUpload?: boolean;
  /** The first worker freezes inside request validation (worker-process.ts). */
  blockInValidation?: boolean;
  /** Submissions the completed run made itself (0: it collected a task an earlier run of the id left). Default 1. */
  submissions?: number;
  /** Every scripted fault must have been used by the end. */
  allFaultsUsed?: boolean;
}

/**
 * One crash run with its own simulator (so concurrent runs' scripted faults cannot cross): starts a generation
 * on a fresh worker process, waits for `inPhase`, SIGKILLs the worker, runs `afterKill`, starts another worker
 * (straight on fake-gcs-server), checks the invariant.
 */
async function crashDuring(
  options: CrashOptions,
  inPhase: (run: CrashRun) => Promise<void>,
  afterKill: (run: CrashRun) => Promise<void> = async () => undefined,
): Promise<void> {
  // 256 KiB videos, tasks processing for 2 s: long enough to crash inside each phase.
  const sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 2_000 }, videoSizeBytes: VIDEO_BYTES });
  const proxy = options.holdUpload ? await startHoldingGcsProxy(testServers().fakeGcsUrl, VIDEO_BYTES) : undefined;
  const workers: ManagedProcess[] = [];
  const { resumableUpload } = options;
  const workflowId = uniqueId('crash');
  try {
    sim.faults.script(options.faults ?? []);
    const taskQueue = uniqueId('crash');
    const first = await startWorkerProcess({
      taskQueue,
      simUrl: sim.url,
      bucket,
      bundlePath,
      resumableUpload,
      gcsUrl: proxy?.url,
      blockInValidation: options.blockInValidation,
    });
    workers.push(first);
    const run: CrashRun = { sim, workflowId, proxy, worker: first };
    await videos.startVideoGeneration(INPUT().request, { workflowId, taskQueue, options: INPUT().options });
    await inPhase(run);
    await sigkill(first);
    await afterKill(run);
    workers.push(await startWorkerProcess({ taskQueue, simUrl: sim.url, bucket, bundlePath, resumableUpload }));
    const result = await videos.result(workflowId);
    await expectExactlyOnce(sim, gcs, bucket, workflowId, result, { submissions: options.submissions });
    if (options.allFaultsUsed) expect(sim.faults.pending()).toBe(0);
  } finally {
    await Promise.all(workers.map((w) => w.stop(1_000)));
    // The workers' output, for the run-wide secret sweep (test/security/secret-sweep.test.ts).
    await Promise.all(workers.map((w, i) => recordTestLog(`worker-crash-${workflowId}-${i + 1}`, w.tail(32_000))));
    await proxy?.close();
    await sim.close();
  }
}

/** The activity the server sees running for a workflow (started by a worker, not completed). */
async function runningActivity(workflowId: string): Promise<string | undefined> {
  const { raw } = await env.client.workflow.getHandle(workflowId).describe();
  const STARTED = 2; // temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
  const pending = raw.pendingActivities?.find((a) => a.state === STARTED);
  return pending?.activityType?.name ?? undefined;
}

/**
 * The run is inside its validation local activity: a workflow task is started, no activity is pending and none
 * was ever scheduled (the local activity's result is recorded as a marker when the task completes).
 */
async function inLocalValidation(workflowId: string): Promise<boolean> {
  const handle = env.client.workflow.getHandle(workflowId);
  const { raw } = await handle.describe();
  const STARTED = 2; // temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
  const events = (await handle.fetchHistory()).events ?? [];
  return (
    raw.pendingWorkflowTask?.state === STARTED &&
    (raw.pendingActivities ?? []).length === 0 &&
    !events.some((e) => e.activityTaskScheduledEventAttributes)
  );
}

describe('SIGKILL while a create is accepted but unanswered, and Kling lookups failing afterwards', () => {
  const ACCEPTED_THEN_LOOKUPS_FAIL: FaultInput[] = [
    { route: 'create', kind: 'accept-then-hang' },
    { route: 'query', kind: 'http-5001', times: 6 },
  ];
  const accepted = async ({ sim, workflowId }: CrashRun) => {
    await waitFor('the accepted create', () => tasksFor(sim, workflowId).length === 1);
    expect((await videos.getProgress(workflowId)).phase).toBe('submitting');
  };

  describe.concurrent('', () => {
    it('the next worker keeps looking the external id up until Kling answers: one task, one object', async () => {
      await crashDuring({ faults: ACCEPTED_THEN_LOOKUPS_FAIL, allFaultsUsed: true }, accepted, async ({ sim }) => {
        // Every failing lookup happens after the kill, on the next worker.
        expect(sim.faults.pending()).toBe(6);
      });
    });

    it('the run is terminated meanwhile and the workflow id re-run: the re-run collects the orphaned task instead of paying again', async () => {
      // Three failing lookups: the re-run's validation retries its check of the earlier run's task (1 s, 2 s, 4 s).
      const faults: FaultInput[] = [
        { route: 'create', kind: 'accept-then-hang' },
        { route: 'query', kind: 'http-5001', times: 3 },
      ];
      await crashDuring({ faults, allFaultsUsed: true, submissions: 0 }, accepted, async ({ workflowId }) => {
        await env.client.workflow.getHandle(workflowId).terminate('operator gave up on the stuck run');
        await videos.startVideoGeneration(INPUT().request, {
          workflowId,
          taskQueue: (await env.client.workflow.getHandle(workflowId).describe()).taskQueue,
          options: INPUT().options,
        });
      });
    });
  });
});

describe('SIGKILL of the worker process in each phase; a new worker process completes the workflow', () => {
  // The three phases run side by side (each with its own simulator and worker processes); the runs follow each other.
  for (let run = 1; run <= RUNS_PER_PHASE; run++) {
    describe.concurrent(`run ${run}`, () => {
      it('submit: the create was accepted but not yet answered', async () => {
        await crashDuring({ faults: [{ route: 'create', kind: 'accept-then-hang' }] }, async ({ sim, workflowId }) => {
          await waitFor('the accepted create', () => tasksFor(sim, workflowId).length === 1);
          const create = sim.requests.find((r) => r.routeKind === 'create' && r.fault === 'accept-then-hang');
          expect(create?.status).toBeNull(); // accepted, never answered: the activity cannot have completed
          expect((await videos.getProgress(workflowId)).phase).toBe('submitting');
        });
      });

      it('poll: a status check is in flight while Kling processes the task', async () => {
        await crashDuring({ faults: [{ route: 'query', kind: 'slow-response', delayMs: 15_000 }] }, async ({ sim, workflowId }) => {
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
        await crashDuring(
          { faults: [{ route: 'download', kind: 'slow-body', chunkBytes: 4096, intervalMs: 50 }], resumableUpload },
          async ({ sim, workflowId }) => {
            const progress = await waitFor(
              'the transfer to report bytes',
              async () => {
                const p = await videos.getProgress(workflowId);
                return p.phase === 'rehosting' && (p.bytesTransferred ?? 0) > 0 ? p : undefined;
              },
              30_000,
              100,
            );
            expect(progress.bytesTransferred).toBeLessThan(VIDEO_BYTES);
            expect(sim.requests.some((r) => r.routeKind === 'download' && r.fault === 'slow-body')).toBe(true);
          },
        );
      });

      it('validate: the validateVideoRequest local activity is running (nothing submitted yet)', async () => {
        await crashDuring({ blockInValidation: true }, async ({ sim, workflowId, worker }) => {
          await waitFor('the worker to block in validation', () => worker.tail().includes('blocked in validation'), 20_000);
          // Since 'kling-wait-in-activity-v1' validation is a local activity: it runs inside the open workflow task.
          expect(await inLocalValidation(workflowId)).toBe(true);
          expect(sim.requests).toHaveLength(0); // nothing reached Kling yet
        });
      });

      // The proxy holds the upload request once it has all of it: the worker has sent the last byte and waits for
      // the commit. Run 1 (multipart): the held request is dropped with the dead worker, GCS never commits and
      // the new worker uploads again. Run 2 (resumable): the proxy delivers it after the kill, so GCS commits an
      // upload whose worker is gone, and the new worker's retry must converge on that object, not add a second.
      const commitAfterKill = run % 2 === 0;
      it(`upload commit: the last byte is sent, the ${resumableUpload ? 'resumable session' : 'multipart upload'} not committed (${commitAfterKill ? 'GCS commits it after the kill' : 'never committed'})`, async () => {
        await crashDuring(
          { holdUpload: true, resumableUpload },
          async ({ proxy, sim, workflowId }) => {
            const held = await waitFor('the proxy to hold a complete upload', () => proxy!.held, 30_000);
            expect(held.method).toBe(resumableUpload ? 'PUT' : 'POST');
            const [task] = tasksFor(sim, workflowId);
            expect(held.body.includes(sim.videoBytes(task!.id))).toBe(true); // every byte of the video was sent
            expect(await objectsFor(gcs, bucket, workflowId)).toHaveLength(0); // and nothing is committed
            expect(await runningActivity(workflowId)).toBe('rehostVideo');
          },
          async ({ proxy, workflowId }) => {
            if (!commitAfterKill) return;
            expect(await proxy!.release()).toBe(200);
            expect(await objectsFor(gcs, bucket, workflowId)).toHaveLength(1);
          },
        );
      });
    });
  }
});
