// `kling-video batch` end to end as child processes (the refusals of a bad line run in this process): a `kling-video
// worker` process (its own task queue, local storage in a temp directory) serves the batches on the shared Temporal
// dev server; the Kling simulator runs in this process so the test can count the creates it received and compare the
// stored bytes with what it served.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, type CliErrorJson } from '../../src/cli/exit-codes.js';
import type { GenerateBatchResult } from '../../src/contract/batch.js';
import { workflowIdFromExternalTaskId } from '../../src/contract/constants.js';
import { FailureType } from '../../src/contract/failure-types.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { projectRoot, tsNodeArgs, TS_NODE } from '../support/binaries.js';
import { ManagedProcess, sleep } from '../support/processes.js';
import { testServers, uniqueId } from '../support/servers.js';
import { recordTestLog } from '../security/secret-scan.js';
import { cleanEnv, CLI_MAIN, json, runCli, runCliInProcess, type CliRun } from './cli-process.js';

const PROMPT = 'A red fox trots through fresh snow at dawn, low tracking shot, soft golden light, cinematic';
/** Credits of a kling-2.6 720p silent text-to-video: 0.3 units per second, 10 credits per unit (src/kling/pricing.ts). */
const CREDITS_5S = 15;
const CREDITS_10S = 30;

const text2video = (take: number, duration = 5) => ({ model: 'kling-2.6', kind: 'text-to-video', prompt: `${PROMPT}, take ${take}`, duration });
/** Passes the CLI's local checks (budgets need the worker's prices) and is refused by the batch's estimate. */
const overItemBudget = (take: number) => ({ request: text2video(take), options: { maxCredits: 1 } });

/** The batch watcher looks up in-flight tasks this often (the default 10 s would dominate the run time). */
const FAST = ['--batch-poll-interval', '300ms'];

let sim: Simulator;
let worker: ManagedProcess | undefined;
let env: NodeJS.ProcessEnv;
let taskQueue: string;
const workDir = mkdtempSync(path.join(tmpdir(), 'kv-cli-batch-'));
const storageDir = path.join(workDir, 'storage');

beforeAll(async () => {
  sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 600 }, videoSizeBytes: 16 * 1024 });
  const { temporalAddress, temporalNamespace } = testServers();
  taskQueue = uniqueId('tq-cli-batch');
  env = cleanEnv({
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: temporalNamespace,
    KLING_TASK_QUEUE: taskQueue,
    KLING_BASE_URL: sim.url,
    KLING_API_KEY: 'sim-api-key',
    KLING_VIDEO_HOSTS: new URL(sim.url).host,
    KLING_VIDEO_ALLOW_HTTP: 'true',
    LOCAL_STORAGE_DIR: storageDir,
  });
  // Its own process group, so afterAll can check that nothing it spawned outlives it.
  worker = new ManagedProcess({ name: 'kling-video worker', command: TS_NODE, args: tsNodeArgs(CLI_MAIN, 'worker'), env, cwd: projectRoot });
  const ready = `worker on task queue "${taskQueue}"`;
  const deadline = Date.now() + 90_000;
  while (!worker.tail().includes(ready)) {
    if (worker.hasExited || Date.now() > deadline) throw new Error(`the worker did not start (${worker.describeExit()}):\n${worker.tail()}`);
    await sleep(200);
  }
});

afterAll(async () => {
  if (worker) {
    // SIGTERM to the CLI process only (what a supervisor sends); tsx passes it on to the worker it runs.
    worker.child.kill('SIGTERM');
    const exit = await Promise.race([worker.exited, sleep(20_000).then(() => 'still running' as const)]);
    // The CLI process has exited; what it ran must follow within moments (a dying child may still be reaped).
    const gone = Date.now() + 5_000;
    while (groupAlive(worker.pid) && Date.now() < gone) await sleep(100);
    const leftovers = groupAlive(worker.pid);
    await worker.stop(1_000); // SIGKILLs whatever is left of the group, so a failure below leaves nothing behind
    // The worker's output, for the run-wide secret sweep (test/security/secret-sweep.test.ts).
    await recordTestLog('cli-batch-worker', worker.tail(32_000));
    expect(exit, worker.tail()).toEqual({ code: 0, signal: null });
    expect(leftovers, 'a process of the worker group outlived it').toBe(false);
  }
  await sim?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** True while any process of the process group led by `pgid` exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function requestsFile(name: string, lines: unknown[]): string {
  const file = path.join(workDir, `${name}.jsonl`);
  // A blank line in the middle is allowed (skipped) and does not shift the item indexes.
  writeFileSync(file, lines.map((l, i) => (i === 1 ? `\n${JSON.stringify(l)}` : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

const batch = (args: string[]): Promise<CliRun> => runCli(['batch', ...args], { env, timeoutMs: 60_000 });
const runOutput = (run: CliRun) =>
  `exit ${String(run.code)}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}\n--- worker (tail)\n${worker?.tail(3_000) ?? ''}`;

/** The external id a create carried: under `options` on the new standard, top-level on the legacy one. */
function externalIdOf(body: unknown): string {
  const b = (body ?? {}) as { external_task_id?: unknown; options?: { external_task_id?: unknown } };
  return String(b.options?.external_task_id ?? b.external_task_id ?? '');
}

/** The simulator's creates for the items of one batch (each must have been accepted), as [item workflow id, task id]. */
function createsOf(batchId: string): Array<[string, string | undefined]> {
  return sim.requests
    .filter((r) => r.routeKind === 'create')
    .map((r) => ({ id: workflowIdFromExternalTaskId(externalIdOf(r.body)) ?? '', r }))
    .filter(({ id }) => id.startsWith(`${batchId}-`))
    .map(({ id, r }) => {
      expect(r.status, `create for ${id}`).toBe(200);
      return [id, r.createdTaskId];
    });
}

describe('kling-video batch against a kling-video worker process', () => {
  it('--wait --json: every item with its outcome, one create per started item, the stored bytes; exit 3', async () => {
    const batchId = uniqueId('cli-batch');
    // Budget 60 in file order: #0 reserves 15, #1 30 (15 left), #2 is over its own maxCredits, #3 (30) does not fit
    // the 15 left and is skipped, #4 (15) still fits.
    const file = requestsFile('mixed', [text2video(0), text2video(1, 10), overItemBudget(2), text2video(3, 10), text2video(4)]);
    const run = await batch([file, '--max-credits', '60', ...FAST, '--workflow-id', batchId, '--wait', '--json']);
    expect(run.code, runOutput(run)).toBe(ExitCode.GenerationFailed);
    const out = json<{ workflowId: string; runId: string; status: string; result: GenerateBatchResult }>(run);
    expect(out).toMatchObject({ workflowId: batchId, status: 'completed', runId: expect.stringMatching(/\S/) });
    const { progress, items } = out.result;

    expect(items.map((o) => [o.index, o.outcome])).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
      [2, 'failed'],
      [3, 'skipped'],
      [4, 'succeeded'],
    ]);
    // Refused before a child started: no item workflow, and the message names the field.
    expect(items[2]).toEqual({
      index: 2,
      outcome: 'failed',
      failureType: FailureType.BudgetExceeded,
      message: expect.stringContaining('maxCredits: estimated cost 15 credits exceeds the budget of 1'),
    });
    expect(items[3]).toEqual({
      index: 3,
      outcome: 'skipped',
      reason: 'estimate of 30 credits exceeds the 15 credits left of the batch budget (maxCredits 60)',
      estimatedCredits: CREDITS_10S,
      remainingCredits: 15,
      maxCredits: 60,
    });
    expect(progress).toMatchObject({
      total: 5,
      succeeded: 3,
      failed: 1,
      skipped: 1,
      inFlight: 0,
      waiting: 0,
      phase: 'completed',
      credits: { budget: 60, reserved: 60, estimated: 60, actual: 60 },
    });

    const succeeded = items.filter((o) => o.outcome === 'succeeded');
    const expectedCredits = [CREDITS_5S, CREDITS_10S, CREDITS_5S];
    for (const [n, o] of succeeded.entries()) {
      expect(o).toMatchObject({
        workflowId: `${batchId}-${o.index}`,
        model: 'kling-2.6',
        estimatedCredits: expectedCredits[n],
        actualCredits: expectedCredits[n],
      });
      expect(o.uri).toMatch(/^file:\/\//);
      const stored = fileURLToPath(o.uri);
      expect(stored.startsWith(storageDir + path.sep), stored).toBe(true);
      const bytes = readFileSync(stored);
      expect(bytes.length).toBe(sim.videoBytes(o.klingTaskId).length);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sim.videoSha256(o.klingTaskId));
    }
    expect(new Set(succeeded.map((o) => o.uri)).size).toBe(3);

    // Exactly one create per started item, none for the refused or the skipped one.
    const creates = createsOf(batchId).sort(([a], [b]) => a.localeCompare(b));
    expect(creates).toEqual(succeeded.map((o) => [`${batchId}-${o.index}`, o.klingTaskId]));
    // The 10-second item reached Kling as such.
    expect(sim.task(succeeded[1]!.klingTaskId)).toMatchObject({ durationSeconds: 10, createRequestCount: 1 });

    // status of the batch: its counts, not only batch_completed.
    const status = await runCli(['status', batchId, '--json'], { env, timeoutMs: 60_000 });
    expect(status.code, runOutput(status)).toBe(0);
    expect(json<{ status: string; batch?: unknown }>(status)).toMatchObject({
      status: 'COMPLETED',
      batch: { total: 5, succeeded: 3, failed: 1, skipped: 1, inFlight: 0 },
    });
    expect((await runCli(['status', batchId], { env, timeoutMs: 60_000 })).stdout).toContain('3 succeeded · 1 failed · 1 skipped · 0 in flight');
  });

  it('without --json (not a TTY): the start line, the counters and one line per item; exit 3', async () => {
    const batchId = uniqueId('cli-batch-text');
    const file = requestsFile('text', [text2video(10), overItemBudget(11)]);
    const run = await batch([file, ...FAST, '--workflow-id', batchId, '--wait']);
    expect(run.code, runOutput(run)).toBe(ExitCode.GenerationFailed);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0], runOutput(run)).toBe(`started batch ${batchId} (2 items) on task queue ${taskQueue}`);
    // Then one line per change of the batchProgress counters while it runs (how many depends on timing), …
    const following = lines.slice(1, -3);
    const counters =
      /^ {2}(estimating|running|completed) · \d succeeded · \d failed · 0 skipped · \d in flight · \d waiting of 2( · \d polled by the batch)? · credits \d+ actual \/ \d+ reserved$/;
    const noWorkerYet = /^ {2}waiting for a worker… /;
    expect(following.filter((l) => counters.test(l)).length, runOutput(run)).toBeGreaterThan(0);
    for (const line of following) expect(counters.test(line) || noWorkerYet.test(line), line).toBe(true);
    // … and the summary with one line per item.
    expect(lines.slice(-3)[0]).toBe(`  1 succeeded, 1 failed, 0 skipped of 2; credits ${CREDITS_5S} actual, ${CREDITS_5S} estimated`);
    expect(lines.slice(-3)[1]).toMatch(/^ {2}line 1 \(item 0\) succeeded file:\/\/\S+\.mp4$/);
    expect(lines.slice(-3)[2]).toMatch(
      /^ {2}line 3 \(item 1\) failed BudgetExceeded: .*maxCredits: estimated cost 15 credits exceeds the budget of 1/,
    );
    expect(run.stderr).toBe('');
    expect(createsOf(batchId).map(([id]) => id)).toEqual([`${batchId}-0`]);
  });

  it.each([
    ['an unknown model', { ...text2video(21), model: 'kling-9.9' }, 'line 3 (item 1) model'],
    ['a deadline that is not a duration', { request: text2video(21), options: { deadline: 'whenever' } }, 'line 3 (item 1) options.deadline'],
  ])('a line the CLI can refuse itself (%s) exits 2 naming its item, and nothing starts', async (_, line, field) => {
    const batchId = uniqueId('cli-batch-bad');
    const file = requestsFile('bad-line', [text2video(20), line]);
    // Refused by the program before anything starts: in this process (the exit code is the program's).
    const run = await runCliInProcess(['batch', file, ...FAST, '--workflow-id', batchId, '--wait', '--json'], { env });
    expect(run.code, runOutput(run)).toBe(ExitCode.InvalidInput);
    const { error } = json<{ error: CliErrorJson }>(run);
    expect(error.type).toBe('InvalidInput');
    expect(error.issues?.map((i) => i.field)).toEqual([field]);
    expect(createsOf(batchId)).toEqual([]);
    const { temporalAddress, temporalNamespace } = testServers();
    const connection = await Connection.connect({ address: temporalAddress });
    try {
      const client = new Client({ connection, namespace: temporalNamespace });
      await expect(client.workflow.getHandle(batchId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    } finally {
      await connection.close();
    }
  });
});
