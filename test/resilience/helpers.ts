// Shared by the resilience suites: worker processes that can be SIGKILLed, and "exactly one task, exactly
// one object with the right bytes" checks against the simulator and fake-gcs-server.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { expect } from 'vitest';
import type { GenerateVideoResult } from '../../src/contract/generation.js';
import type { Simulator } from '../../src/simulator/index.js';
import { projectRoot } from '../support/binaries.js';
import { ManagedProcess, sleep } from '../support/processes.js';
import { testServers } from '../support/servers.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';

/** A crash run's generation: a 5 s kling-2.6 text-to-video whose prompt passes the lint. */
export const CRASH_REQUEST = {
  model: 'kling-2.6',
  kind: 'text-to-video',
  prompt: 'Close-up of a monarch butterfly landing on a lavender flower, soft bokeh background, golden hour lighting, macro lens, 4K',
  duration: 5,
} as const;

/**
 * A crash run's generation options: quick polls for the simulator's short tasks, and short activity timeouts so that
 * a dead worker's attempt is retried within seconds (defaults: 30 s, 2 min, 30 s, 30 s).
 */
export const CRASH_OPTIONS = {
  poll: { initialInterval: 300, backoffCoefficient: 1.5, maxInterval: 1_000 },
  activityTimeouts: { validateStartToClose: '4s', submitStartToClose: '4s', statusStartToClose: '4s', rehostHeartbeat: '3s' },
} as const;

/** Polls `check` every `intervalMs` until it returns a truthy value; throws `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Writes the workflow bundle once to `dir`, so each worker process starts without bundling. */
export async function writeWorkflowBundle(dir: string): Promise<string> {
  const bundle = await bundleWorkflows('src/workflows/index.ts');
  const file = path.join(dir, 'workflow-bundle.js');
  await writeFile(file, bundle.code);
  return file;
}

export interface WorkerProcessOptions {
  temporalAddress?: string;
  taskQueue: string;
  simUrl: string;
  bucket: string;
  bundlePath: string;
  /** Store through a resumable upload session (default: a single multipart request for small videos). */
  resumableUpload?: boolean;
  /** GCS endpoint the worker stores through (default: the shared fake-gcs-server), e.g. a holding proxy. */
  gcsUrl?: string;
  /** Freeze the worker inside its first request validation (see worker-process.ts). */
  blockInValidation?: boolean;
  /** Account-wide slot admission: this many slots per bucket (KLING_SLOTS), lease checks every 500 ms. */
  slots?: number;
}

/** Starts test/resilience/worker-process.ts in its own process group and waits until it polls. */
export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<ManagedProcess> {
  const servers = testServers();
  const proc = new ManagedProcess({
    name: 'worker process',
    command: process.execPath,
    args: ['--import', 'tsx', 'test/resilience/worker-process.ts'],
    cwd: projectRoot,
    env: {
      ...process.env,
      KT_TEMPORAL_ADDRESS: opts.temporalAddress ?? servers.temporalAddress,
      KT_TEMPORAL_NAMESPACE: servers.temporalNamespace,
      KT_TASK_QUEUE: opts.taskQueue,
      KT_SIM_URL: opts.simUrl,
      KT_GCS_URL: opts.gcsUrl ?? servers.fakeGcsUrl,
      KT_GCS_BUCKET: opts.bucket,
      KT_WORKFLOW_BUNDLE: opts.bundlePath,
      KT_PARENT_PID: String(process.pid),
      KT_GCS_RESUMABLE: opts.resumableUpload ? '1' : '0',
      KT_BLOCK_IN_VALIDATION: opts.blockInValidation ? '1' : '0',
      KT_SLOTS: opts.slots === undefined ? '' : String(opts.slots),
    },
  });
  try {
    await waitFor(
      'the worker process to poll',
      () => {
        if (proc.hasExited) throw new Error(`worker process ${proc.describeExit()}:\n${proc.tail()}`);
        return proc.tail().includes('worker ready');
      },
      30_000,
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** SIGKILL to the worker's whole process group: no shutdown, no goodbye to the server. */
export async function sigkill(proc: ManagedProcess): Promise<void> {
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  const exit = await proc.exited;
  expect(exit.signal).toBe('SIGKILL');
}

/** Tasks the simulator created for a workflow (external id `<workflowId>-r<run>-<n>`). */
export function tasksFor(sim: Simulator, workflowId: string) {
  return sim.tasks().filter((t) => t.externalTaskId?.startsWith(`${workflowId}-r`));
}

/** Objects in `bucket` whose metadata names `workflowId`. */
export async function objectsFor(gcs: Storage, bucket: string, workflowId: string) {
  const [files] = await gcs.bucket(bucket).getFiles();
  return files.filter((f) => f.metadata.metadata?.workflowId === workflowId);
}

/**
 * The invariant of every resilience test: one task created (one create request), one stored object for the
 * workflow, holding exactly the bytes the simulator's CDN serves for that task.
 */
export async function expectExactlyOnce(
  sim: Simulator,
  gcs: Storage,
  bucket: string,
  workflowId: string,
  result: GenerateVideoResult,
  expected: { submissions?: number } = {},
): Promise<void> {
  const tasks = tasksFor(sim, workflowId);
  expect(tasks, `tasks for ${workflowId}`).toHaveLength(1);
  expect(tasks[0]!.id).toBe(result.klingTaskId);
  expect(tasks[0]!.createRequestCount, `create requests for ${workflowId}`).toBe(1);
  expect(result.submissions).toBe(expected.submissions ?? 1);
  const objects = await objectsFor(gcs, bucket, workflowId);
  expect(objects.map((o) => o.name)).toEqual([`videos/${result.objectName}`]);
  const [bytes] = await objects[0]!.download();
  expect(bytes.length).toBe(result.size);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(sim.videoSha256(result.klingTaskId));
  expect(objects[0]!.metadata.metadata?.klingTaskId).toBe(result.klingTaskId);
}
