// generate / status / result / list / cancel against the shared Temporal dev server, with an in-process worker (unique
// task queue), the Kling simulator and local storage in a temp directory. `cli` runs the program in this process
// (runCliInProcess: a tsx process costs ~3 s of CPU a call), as do the checks of flags and refused input (the exit
// codes are the program's); a few checks of the bin's exit codes and of a never-ending --wait run it as a process.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { KlingClient } from '../../src/kling/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import type { GenerateVideoResult } from '../../src/contract/generation.js';
import { createLocalStorage } from '../../src/storage/index.js';
import { createKlingWorker } from '../../src/worker.js';
import { creates } from '../support/creates.js';
import { installQuietTemporalRuntime, testServers, uniqueId } from '../support/servers.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';
import { CLI_MAIN, cleanEnv, json, runCli, runCliInProcess, runCommand, type CliRun } from './cli-process.js';

const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, golden hour, macro lens';
const FAST = ['--poll-interval', '300', '--poll-max-interval', '1000'];

let sim: Simulator;
let worker: Worker;
let running: Promise<void>;
let connection: NativeConnection;
let env: NodeJS.ProcessEnv;
let taskQueue: string;
const storageDir = mkdtempSync(path.join(tmpdir(), 'kv-cli-store-'));

beforeAll(async () => {
  installQuietTemporalRuntime();
  const { temporalAddress, temporalNamespace } = testServers();
  sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 400 } });
  taskQueue = uniqueId('tq-cli');
  connection = await NativeConnection.connect({ address: temporalAddress });
  worker = await createKlingWorker({
    connection,
    namespace: temporalNamespace,
    taskQueue,
    deps: {
      kling: new KlingClient({ baseUrl: sim.url, credentials: { apiKey: 'sim-api-key' }, requestTimeoutMs: 5_000 }),
      storage: createLocalStorage({ root: storageDir }),
      videoHosts: { allow: [new URL(sim.url).host], allowHttp: true },
    },
    workflowBundle: await bundleWorkflows('src/workflows/index.ts'),
  });
  running = worker.run();
  env = cleanEnv({ TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: temporalNamespace, KLING_TASK_QUEUE: taskQueue });
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await connection?.close();
  await sim?.close();
});

const cli = (args: string[]): Promise<CliRun> => runCliInProcess(args, { env });

async function eventually<T>(fn: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('generate, status, result, list, cancel', () => {
  const okId = uniqueId('cli-ok');
  const failId = uniqueId('cli-fail');
  const cancelId = uniqueId('cli-cancel');

  it('generate --wait --json: exit 0, the result, and the stored file', async () => {
    const run = await cli([
      'generate',
      '-m',
      'kling-2.6',
      '-p',
      PROMPT,
      '-d',
      '5',
      '--workflow-id',
      okId,
      '--prefix',
      'cli',
      ...FAST,
      '--wait',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const out = json<{ workflowId: string; runId: string; status: string; result: GenerateVideoResult }>(run);
    expect(out).toMatchObject({ workflowId: okId, status: 'completed' });
    expect(out.runId).toMatch(/\S/);
    expect(out.result.uri).toMatch(/^file:\/\//);
    const file = fileURLToPath(out.result.uri);
    expect(file.startsWith(storageDir)).toBe(true);
    expect(file).toContain(`${path.sep}cli${path.sep}`);
    expect(statSync(file).size).toBe(out.result.size);
    expect(readFileSync(file).subarray(4, 8).toString('latin1')).toBe('ftyp'); // a real MP4 from the simulator
    expect(out.result).toMatchObject({ model: 'kling-2.6', credits: { estimated: 15, actual: 15 } });
  });

  it('generate with the workflow id of the completed generation but another request exits 7 naming the fields; nothing is submitted', async () => {
    const before = creates(sim).length;
    const run = await cli([
      'generate',
      '-m',
      'kling-3.0',
      '-p',
      'A whale breaches at sunset',
      '-d',
      '5',
      '--workflow-id',
      okId,
      '--prefix',
      'cli',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(7);
    const out = json<{
      error: { type: string; message: string; details: { workflowId: string; differingFields: string[]; existingStatus: string } };
    }>(run);
    expect(out.error).toMatchObject({ type: 'IdempotencyConflict', details: { workflowId: okId, existingStatus: 'COMPLETED' } });
    expect(out.error.details.differingFields).toEqual(expect.arrayContaining(['model', 'prompt']));
    expect(creates(sim)).toHaveLength(before);
  });

  it('generate --wait without --json shows progress lines (not a TTY: one line per change) and the result', async () => {
    const id = uniqueId('cli-text');
    const run = await cli(['generate', '-m', 'kling-2.6', '-p', PROMPT, '--workflow-id', id, ...FAST, '--wait']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`started ${id}`);
    // The estimate in words, from the default prices, before the progress.
    expect(run.stdout).toMatch(/estimate \(default prices\): kling-2\.6 text-to-video at \S+, .*= \d+(\.\d+)? units = \d+(\.\d+)? credits/);
    expect(run.stdout).toMatch(/phase (validating|submitting|generating|rehosting) · .*polls \d+ · elapsed \d/);
    expect(run.stdout).toMatch(/completed /);
    const file = /file:\s+(\S+)/.exec(run.stdout)?.[1];
    expect(file && existsSync(file)).toBe(true);
    expect(run.stdout).not.toMatch(/\r/);
  });

  it('a failed generation exits 3 with the failure type and Kling’s message', async () => {
    const run = await cli([
      'generate',
      '-m',
      'kling-2.6',
      '-p',
      `${PROMPT} [sim:fail gpu melted]`,
      '--workflow-id',
      failId,
      ...FAST,
      '--wait',
      '--json',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    const out = json<{ workflowId: string; error: { exitCode: number; type: string; message: string; details: { statusMessage?: string } } }>(run);
    expect(out.workflowId).toBe(failId);
    expect(out.error).toMatchObject({ exitCode: 3, type: 'VideoGenerationFailed' });
    expect(JSON.stringify(out.error)).toContain('gpu melted');
    const result = await cli(['result', failId, '--json']);
    expect(result.code).toBe(3);
    expect(json<{ error: { type: string } }>(result).error.type).toBe('VideoGenerationFailed');
    // status explains the end too: the failure's type and message, not only FAILED.
    const status = await cli(['status', failId, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(json<{ status: string; failure?: { type: string; message: string } }>(status)).toMatchObject({
      status: 'FAILED',
      failure: { type: 'VideoGenerationFailed', message: expect.stringContaining('gpu melted') },
    });
    expect((await cli(['status', failId])).stdout).toMatch(/failure VideoGenerationFailed: .*gpu melted/);
  });

  it('status of a generation whose upload is being retried shows the attempt and the last failure', async () => {
    const id = uniqueId('cli-retry');
    sim.faults.script([{ route: 'download', kind: 'connection-reset', times: 1_000 }]);
    try {
      const start = await cli(['generate', '-m', 'kling-2.6', '-p', PROMPT, '--workflow-id', id, ...FAST, '--json']);
      expect(start.code, start.stderr).toBe(0);
      type Status = { status: string; pendingActivities?: Array<{ activityType: string; attempt: number; lastFailure?: string }> };
      const retrying = await eventually(
        async () => json<Status>(await cli(['status', id, '--json'])),
        (s) => (s.pendingActivities ?? []).some((a) => a.attempt >= 2 && a.lastFailure !== undefined),
        40_000,
      );
      const activity = retrying.pendingActivities?.find((a) => a.attempt >= 2);
      expect(activity, JSON.stringify(retrying)).toMatchObject({ attempt: expect.any(Number), lastFailure: expect.stringMatching(/\S/) });
      expect((await cli(['status', id])).stdout).toMatch(new RegExp(`activity ${activity!.activityType} \\w+, attempt \\d+, last failure: `));
    } finally {
      sim.faults.clear();
    }
    const result = await cli(['result', id, '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('no worker polling the task queue: generate --wait and status say so within seconds, naming the queue', async () => {
    const typo = `${taskQueue}-typo`;
    const id = uniqueId('cli-noworker');
    const started = Date.now();
    // Never ends by itself (nothing runs the workflow): stopped once it has said so (or after 15 s); node itself runs
    // the CLI (tsx as a loader), so the kill reaches it.
    const said = (output: string) => output.includes(`no worker is polling task queue "${typo}"`) && output.includes('kling-video worker');
    const run = await runCommand(
      process.execPath,
      ['--import', 'tsx', CLI_MAIN, 'generate', '-m', 'kling-2.6', '-p', PROMPT, '--workflow-id', id, '--wait'],
      {
        env: { ...env, KLING_TASK_QUEUE: typo },
        timeoutMs: 15_000,
        stopWhen: said,
      },
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.stdout + run.stderr).toContain(`no worker is polling task queue "${typo}"`);
    expect(run.stdout + run.stderr).toContain('kling-video worker');
    const status = await runCli(['status', id, '--json'], { env: { ...env, KLING_TASK_QUEUE: typo }, timeoutMs: 30_000 });
    expect(json<{ status: string; noWorker?: string }>(status)).toMatchObject({ status: 'RUNNING', noWorker: expect.stringContaining(`"${typo}"`) });
  });

  it('invalid input exits 2 naming the fields, before contacting Temporal', async () => {
    const run = await runCliInProcess(['generate', '-m', 'kling-2.6', '-p', PROMPT, '-d', '7', '--prefix', 'Bad Prefix', '--json'], {
      env: cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }),
    });
    expect(run.code).toBe(2);
    // One check of request and options: the bad prefix does not hide the bad duration (nor the other way round).
    expect(
      json<{ error: { issues: { field: string }[] } }>(run)
        .error.issues.map((i) => i.field)
        .sort(),
    ).toEqual(['destination.prefix', 'duration']);
    const options = await runCliInProcess(
      ['generate', '-m', 'kling-2.6', '-p', PROMPT, '--prefix', 'Bad Prefix', '--max-credits', 'lots', '--json'],
      {
        env: cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }),
      },
    );
    expect(options.code).toBe(2);
    expect(
      json<{ error: { issues: { field: string }[] } }>(options)
        .error.issues.map((i) => i.field)
        .sort(),
    ).toEqual(['destination.prefix', 'maxCredits']);
  });

  it('a budget the estimate exceeds exits 2 (BudgetExceeded from the workflow)', async () => {
    const run = await cli([
      'generate',
      '-m',
      'kling-2.6',
      '-p',
      PROMPT,
      '--max-credits',
      '5',
      '--workflow-id',
      uniqueId('cli-budget'),
      '--wait',
      '--json',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(json<{ error: { type: string } }>(run).error.type).toBe('BudgetExceeded');
  });

  it('an unreachable Temporal is a configuration error: exit 8 naming the address and what to set', async () => {
    const run = await runCli(['generate', '-m', 'kling-2.6', '-p', PROMPT, '--json'], { env: cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }) });
    expect(run.code).toBe(8);
    const { error } = json<{ error: { type: string; message: string } }>(run);
    expect(error.type).toBe('TemporalUnreachable');
    expect(error.message).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1 .*--address \/ TEMPORAL_ADDRESS/);
    // Refused by the OS, reported at once (the TCP probe), not after the 5 s gRPC connect timeout.
    expect(error.message).toContain('connection refused (ECONNREFUSED): nothing listens on 127.0.0.1:1');
  });

  it('a namespace that does not exist: exit 8 naming the namespace and the address (was exit 1, Internal)', async () => {
    const { temporalAddress } = testServers();
    const run = await runCli(['list'], { env: cleanEnv({ TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: 'nope' }) });
    expect(run.code, run.stderr).toBe(8);
    expect(run.stderr).toContain(`error (NamespaceNotFound): namespace "nope" does not exist on the Temporal server at ${temporalAddress}`);
    expect(run.stderr).toMatch(/--namespace or TEMPORAL_NAMESPACE/);
  });

  it('--address and --namespace (before or after the command) override the environment, as in the temporal CLI', async () => {
    const { temporalAddress, temporalNamespace } = testServers();
    const wrong = cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_NAMESPACE: 'nope', KLING_TASK_QUEUE: taskQueue });
    const after = await runCliInProcess(['status', okId, '--address', temporalAddress, '--namespace', temporalNamespace, '--json'], { env: wrong });
    expect(after.code, after.stderr).toBe(0);
    expect(json(after)).toMatchObject({ workflowId: okId, status: 'COMPLETED' });
    const before = await runCliInProcess(['--address', temporalAddress, '--namespace', temporalNamespace, 'status', okId, '--json'], { env: wrong });
    expect(before.code, before.stderr).toBe(0);
    const flagNamespace = await runCliInProcess(['list', '--namespace', 'nope-flag', '--json'], {
      env: cleanEnv({ TEMPORAL_ADDRESS: temporalAddress }),
    });
    expect(flagNamespace.code).toBe(8);
    expect(json<{ error: { type: string; details: unknown } }>(flagNamespace).error).toMatchObject({
      type: 'NamespaceNotFound',
      details: { namespace: 'nope-flag', address: temporalAddress },
    });
  });

  it('url of the completed generation: the file URL for local storage; a bad --expires-in exits 2', async () => {
    const run = await cli(['url', okId, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = json<{ workflowId: string; uri: string; url: string; expiresAt?: string }>(run);
    expect(out).toMatchObject({ workflowId: okId });
    expect(out.uri).toMatch(/^file:\/\//);
    expect(out.url).toBe(out.uri);
    expect(out.expiresAt).toBeUndefined();
    const bad = await cli(['url', okId, '--expires-in', '9d', '--json']);
    expect(bad.code).toBe(2);
    expect(json<{ error: { issues: Array<{ field: string }> } }>(bad).error.issues[0]?.field).toBe('expires-in');
  });

  it('status and result of the completed generation', async () => {
    const status = await cli(['status', okId, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const s = json<{
      workflowId: string;
      status: string;
      taskQueue: string;
      searchAttributes: Record<string, string>;
      progress?: { phase: string; polls: number };
    }>(status);
    expect(s).toMatchObject({ workflowId: okId, status: 'COMPLETED', taskQueue });
    expect(s.searchAttributes).toMatchObject({ KlingModel: 'kling-2.6', KlingPhase: 'completed' });
    expect(s.progress?.phase).toBe('completed');
    const text = await cli(['status', okId]);
    expect(text.stdout).toContain(`${okId}: COMPLETED`);

    const result = await cli(['result', okId, '--json']);
    expect(result.code).toBe(0);
    const r = json<{ status: string; result: GenerateVideoResult }>(result);
    expect(r.status).toBe('completed');
    expect(existsSync(fileURLToPath(r.result.uri))).toBe(true);
  });

  it('status of an unknown workflow exits 2', async () => {
    const run = await cli(['status', uniqueId('cli-unknown'), '--json']);
    expect(run.code).toBe(2);
    expect(json<{ error: { type: string } }>(run).error.type).toBe('WorkflowNotFound');
  });

  it('cancel: a never-finishing generation is cancelled; result then exits 6', async () => {
    const start = await cli(['generate', '-m', 'kling-2.6', '-p', `${PROMPT} [sim:never]`, '--workflow-id', cancelId, ...FAST, '--json']);
    expect(start.code, start.stderr).toBe(0);
    expect(json(start)).toMatchObject({ workflowId: cancelId, status: 'started', taskQueue });
    const generating = await eventually(
      () => cli(['status', cancelId, '--json']),
      (run) => json<{ progress?: { phase: string } }>(run).progress?.phase === 'generating',
    );
    expect(json<{ status: string; progress?: { phase: string } }>(generating)).toMatchObject({
      status: 'RUNNING',
      progress: { phase: 'generating' },
    });

    const running = await eventually(
      () => cli(['list', '--status', 'running', '--query', `TaskQueue='${taskQueue}'`, '--json']),
      (run) => json<{ workflowId: string }[]>(run).some((e) => e.workflowId === cancelId),
    );
    expect(json<{ workflowId: string; status: string }[]>(running).find((e) => e.workflowId === cancelId)?.status).toBe('RUNNING');

    const cancel = await cli(['cancel', cancelId, '--json']);
    expect(cancel.code).toBe(0);
    expect(json(cancel)).toEqual({ workflowId: cancelId, cancelRequested: true });
    const result = await cli(['result', cancelId, '--json']);
    expect(result.code).toBe(6);
    expect(json<{ error: { type: string } }>(result).error.type).toBe('Cancelled');
  });

  it('list shows the generations, batches and adoptions of this task queue with a header and their type, filtered by status', async () => {
    const query = ['--query', `TaskQueue='${taskQueue}'`];
    const all = await eventually(
      () => cli(['list', ...query, '--limit', '50', '--json']),
      (run) => [okId, failId, cancelId].every((id) => json<{ workflowId: string }[]>(run).some((e) => e.workflowId === id)),
    );
    const entries = json<{ workflowId: string; status: string; model?: string; taskQueue: string }[]>(all);
    expect(entries.find((e) => e.workflowId === okId)).toMatchObject({ status: 'COMPLETED', model: 'kling-2.6', taskQueue });
    expect(entries.find((e) => e.workflowId === failId)?.status).toBe('FAILED');

    const failed = await eventually(
      () => cli(['list', '--status', 'failed', ...query, '--json']),
      (run) => json<{ workflowId: string }[]>(run).some((e) => e.workflowId === failId),
    );
    const failedEntries = json<{ workflowId: string; status: string }[]>(failed);
    expect(failedEntries.map((e) => e.workflowId)).toContain(failId);
    expect(failedEntries.every((e) => e.status === 'FAILED')).toBe(true);

    const limited = await cli(['list', ...query, '--limit', '1', '--json']);
    expect(json<unknown[]>(limited)).toHaveLength(1);
    const text = await cli(['list', ...query]);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^START\s+STATUS\s+TYPE\s+PHASE\s+MODEL\s+WORKFLOW$/);
    expect(lines.find((l) => l.endsWith(` ${okId}`))).toMatch(/COMPLETED\s+generateVideo\s+completed\s+kling-2\.6\s/);

    // Batches and adoptions are listed too, each with its type (started on a queue no worker polls: only listed).
    const { temporalAddress, temporalNamespace } = testServers();
    const client = new Client({ connection: await Connection.connect({ address: temporalAddress }), namespace: temporalNamespace });
    const unpolled = uniqueId('tq-list-types');
    const started = { [uniqueId('list-batch')]: 'generateBatch', [uniqueId('list-adopt')]: 'adoptVideo', [uniqueId('list-video')]: 'generateVideo' };
    try {
      for (const [workflowId, type] of Object.entries(started)) await client.workflow.start(type, { taskQueue: unpolled, workflowId, args: [] });
      const typed = await eventually(
        () => cli(['list', '--query', `TaskQueue='${unpolled}'`, '--json']),
        (run) => json<unknown[]>(run).length === 3,
      );
      expect(Object.fromEntries(json<{ workflowId: string; type: string }[]>(typed).map((e) => [e.workflowId, e.type]))).toEqual(started);
    } finally {
      for (const workflowId of Object.keys(started))
        await client.workflow
          .getHandle(workflowId)
          .terminate('list test done')
          .catch(() => undefined);
      await client.connection.close();
    }

    const bad = await cli(['list', '--status', 'sleeping', '--json']);
    expect(bad.code).toBe(2);
    expect(json<{ error: { issues: { field: string }[] } }>(bad).error.issues[0]?.field).toBe('status');
  });
});
