// Worker Deployment Versioning on the real dev server (docs/deploy.md, "Rollouts"): a generation started on version 1
// finishes on version 1's worker after version 2, whose `generateVideo` issues different commands, became current;
// a generation started afterwards runs on version 2. Shares the suite's dev server (a deployment of its own, unique
// per run); Temporal's Worker Deployment APIs are on by default in the dev server of .tools (CLI 1.9.1, server 1.32).
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateVideoResult } from '../../src/contract/generation.js';
import { KlingClient } from '../../src/kling/index.js';
import { ManualClock, startSimulator } from '../../src/simulator/index.js';
import { createGcsStorage } from '../../src/storage/index.js';
import { createKlingWorker } from '../../src/worker.js';
import { packageVersion, setCurrentVersionCommand, workerDeploymentFromEnv, type KlingWorkerDeployment } from '../../src/worker-deployment.js';
import { generateVideo } from '../../src/workflows/index.js';
import type { VersionTwoResult } from '../fixtures/versioned-workflows/index.js';
import { recordTestLog } from '../security/secret-scan.js';
import { SIM_CREDENTIALS, simulatorVideoHosts, type Simulator } from '../support/generation-stack.js';
import { createDevServerEnv, gcsStorage, testServers, uniqueBucketName, uniqueId } from '../support/servers.js';
import { FAST_POLL } from '../support/suite.js';
import { simulatorWorkerEnv, spawnWorker, useWorkerProcessSuite } from '../support/worker-process.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';

const run = promisify(execFile);
const REQUEST = {
  model: 'kling-2.6',
  kind: 'text-to-video',
  prompt: 'A lighthouse at dusk, waves rolling in, slow dolly shot',
  duration: 5,
} as const;

/** Version 1 runs this package's workflows; version 2 a fixture whose generateVideo issues other commands. */
const V1_WORKFLOWS = 'src/workflows/index.ts';
const V2_WORKFLOWS = 'test/fixtures/versioned-workflows/index.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * The operator's step, a `temporal worker deployment set-current-version …` command line as docs/deploy.md and the
 * worker's log give it, run with the CLI against the suite's server; retried until the version's first poll has
 * registered it (NOT_FOUND "does your Worker Deployment have pollers?" before).
 */
async function runOperatorCommand(command: string): Promise<void> {
  const { temporalCliPath, temporalAddress, temporalNamespace } = testServers();
  const [program, ...args] = command.split(' ');
  expect(program).toBe('temporal');
  for (let attempt = 1; ; attempt++) {
    try {
      await run(temporalCliPath, [...args, '--yes', '--address', temporalAddress, '--namespace', temporalNamespace]);
      return;
    } catch (err) {
      if (attempt >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('worker deployment settings from the environment', () => {
  it('is unversioned unless KLING_WORKER_DEPLOYMENT is set; the build id defaults to the package version', () => {
    expect(workerDeploymentFromEnv({})).toBeUndefined();
    expect(workerDeploymentFromEnv({ KLING_WORKER_BUILD_ID: 'abc123' })).toBeUndefined();
    expect(workerDeploymentFromEnv({ KLING_WORKER_DEPLOYMENT: 'kling-video' })).toEqual({ deploymentName: 'kling-video', buildId: packageVersion() });
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(workerDeploymentFromEnv({ KLING_WORKER_DEPLOYMENT: 'kling-video', KLING_WORKER_BUILD_ID: 'abc123' })).toEqual({
      deploymentName: 'kling-video',
      buildId: 'abc123',
    });
  });

  it('refuses what Temporal refuses, naming the variable', () => {
    expect(() => workerDeploymentFromEnv({ KLING_WORKER_DEPLOYMENT: 'kling.video' })).toThrow(/KLING_WORKER_DEPLOYMENT: must not contain "\."/);
    expect(() => workerDeploymentFromEnv({ KLING_WORKER_DEPLOYMENT: 'kling-video', KLING_WORKER_BUILD_ID: '__unversioned__' })).toThrow(
      /KLING_WORKER_BUILD_ID: .*reserved/,
    );
    expect(() => workerDeploymentFromEnv({ KLING_WORKER_DEPLOYMENT: 'kling-video', KLING_WORKER_BUILD_ID: 'x'.repeat(256) })).toThrow(
      /KLING_WORKER_BUILD_ID/,
    );
  });
});

describe('a rollout on the dev server', () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  const clock = new ManualClock();
  const running: { worker: Worker; done: Promise<void> }[] = [];

  beforeAll(async () => {
    env = await createDevServerEnv();
    // The simulator's clock stands still: the first generation waits at Kling until the test moves it.
    sim = await startSimulator({ now: clock.now, schedule: { submittedMs: 100, processingMs: 1_000 } });
    // Both versions' code, bundled side by side (memoised per file by bundleWorkflows).
    await Promise.all([bundleWorkflows(V1_WORKFLOWS), bundleWorkflows(V2_WORKFLOWS)]);
  });
  afterAll(async () => {
    for (const { worker } of running) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all(running.map(({ done }) => done.catch(() => undefined)));
    await sim?.close();
    await env?.teardown();
  });

  /** Starts a versioned worker on `taskQueue`; fails the test if it stops early. */
  async function startWorker(taskQueue: string, deployment: KlingWorkerDeployment, workflows: string): Promise<void> {
    const gcs = gcsStorage();
    const bucket = uniqueBucketName('kt-versioning');
    await gcs.createBucket(bucket);
    const worker = await createKlingWorker({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      identity: `worker-${deployment.buildId}`,
      deployment,
      deps: {
        kling: new KlingClient({ baseUrl: sim.url, credentials: SIM_CREDENTIALS, requestTimeoutMs: 5_000 }),
        storage: createGcsStorage({ bucket, prefix: 'videos', urlMode: 'public', storage: gcs, apiEndpoint: gcs.apiEndpoint }),
        videoHosts: simulatorVideoHosts(sim),
      },
      workflowBundle: await bundleWorkflows(workflows),
    });
    running.push({ worker, done: worker.run() });
  }

  const setCurrentVersion = (deployment: KlingWorkerDeployment) => runOperatorCommand(setCurrentVersionCommand(deployment));

  async function history(handle: WorkflowHandle): Promise<HistoryEvent[]> {
    return (await handle.fetchHistory()).events ?? [];
  }
  const workflowTasks = (events: HistoryEvent[]) =>
    events.flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [{ at: e.eventTime, ...e.workflowTaskCompletedEventAttributes }] : []));
  const activityWorkers = (events: HistoryEvent[]) =>
    events.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.identity] : []));
  /** The run's result; fails at once (not at the test timeout) when one of its workflow tasks failed, e.g. on nondeterminism. */
  async function resultOf<T>(handle: WorkflowHandle<() => Promise<T>>): Promise<T> {
    let done = false;
    const watch = async (): Promise<never> => {
      while (!done) {
        const failed = (await history(handle)).find((e) => e.workflowTaskFailedEventAttributes);
        if (failed) throw new Error(`${handle.workflowId}: a workflow task failed: ${failed.workflowTaskFailedEventAttributes?.failure?.message}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return new Promise<never>(() => undefined);
    };
    try {
      return await Promise.race([handle.result(), watch()]);
    } finally {
      done = true;
    }
  }
  const seconds = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) + (t?.nanos ?? 0) / 1e9;

  it('keeps a generation in flight on version 1 while new generations start on version 2', async () => {
    const taskQueue = uniqueId('tq-versioning');
    const deploymentName = uniqueId('kling-video');
    const v1 = { deploymentName, buildId: 'v1' };
    const v2 = { deploymentName, buildId: 'v2' };

    await startWorker(taskQueue, v1, V1_WORKFLOWS);
    await setCurrentVersion(v1);
    const inFlight = await env.client.workflow.start(generateVideo, {
      args: [{ request: REQUEST, options: { poll: FAST_POLL } }],
      taskQueue,
      workflowId: uniqueId('gen-v1'),
    });
    // Submitted and polling: the task waits at Kling (the simulator's clock stands still).
    while (sim.tasks().length === 0) await new Promise((resolve) => setTimeout(resolve, 100));

    // Version 2: a generateVideo that issues other commands, deployed alongside and made current.
    await startWorker(taskQueue, v2, V2_WORKFLOWS);
    await setCurrentVersion(v2);
    const switchedAt = Date.now() / 1000;
    const afterSwitch = env.client.workflow.getHandle<() => Promise<VersionTwoResult>>(
      (
        await env.client.workflow.start('generateVideo', {
          args: [{ request: REQUEST, options: { poll: FAST_POLL } }],
          taskQueue,
          workflowId: uniqueId('gen-v2'),
        })
      ).workflowId,
    );
    expect(await resultOf(afterSwitch)).toEqual({ code: 'version-2-fixture', buildId: 'v2' });

    // Kling finishes the first task; its run polls, rehosts and completes, all on version 1.
    clock.advance(60_000);
    const result: GenerateVideoResult = await resultOf(inFlight);
    expect(result.klingTaskId).toBe(sim.tasks()[0]!.id);
    expect(result.uri).toMatch(/^gs:\/\/kt-versioning-/);

    const inFlightInfo = (await inFlight.describe()).raw.workflowExecutionInfo?.versioningInfo;
    expect(inFlightInfo?.behavior).toBe(temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
    expect(inFlightInfo?.deploymentVersion).toEqual({ deploymentName, buildId: 'v1' });
    const events = await history(inFlight);
    const tasks = workflowTasks(events);
    // Workflow tasks ran after version 2 became current (the poll that saw the task succeed, the rehost, the end)…
    expect(tasks.filter((t) => seconds(t.at) > switchedAt).length).toBeGreaterThanOrEqual(2);
    // …and every one of them, like every activity, on version 1's worker.
    for (const t of tasks) {
      expect(t.deploymentVersion).toEqual({ deploymentName, buildId: 'v1' });
      expect(t.identity).toBe('worker-v1');
    }
    expect(new Set(activityWorkers(events))).toEqual(new Set(['worker-v1']));

    const afterSwitchInfo = (await afterSwitch.describe()).raw.workflowExecutionInfo?.versioningInfo;
    expect(afterSwitchInfo?.behavior).toBe(temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
    expect(afterSwitchInfo?.deploymentVersion).toEqual({ deploymentName, buildId: 'v2' });
    for (const t of workflowTasks(await history(afterSwitch))) expect(t.identity).toBe('worker-v2');

    // The change is incompatible indeed: version 2's code cannot replay the run version 1 started.
    await expect(Worker.runReplayHistory({ workflowBundle: await bundleWorkflows(V2_WORKFLOWS) }, await inFlight.fetchHistory())).rejects.toThrow(
      /[Nn]ondetermin|DeterminismViolation/,
    );
  });
});

describe('src/worker.ts with KLING_WORKER_DEPLOYMENT', () => {
  const suite = useWorkerProcessSuite();

  it('logs the command that makes its version current; once run, generations start pinned to that version', async () => {
    const taskQueue = uniqueId('tq-versioned-process');
    const deploymentName = uniqueId('kling-video');
    const started = spawnWorker({
      ...simulatorWorkerEnv(suite.sim.url, taskQueue, await mkdtemp(path.join(tmpdir(), 'kt-versioned-'))),
      KLING_WORKER_DEPLOYMENT: deploymentName,
      KLING_WORKER_BUILD_ID: 'build-7',
    });
    const { output, exited } = started;
    suite.worker = started.child;
    try {
      while (!/once you run: (temporal .*)$/m.test(output())) {
        if (started.child.exitCode !== null) throw new Error(`worker exited: ${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const command = /once you run: (temporal .*)$/m.exec(output())![1]!;
      expect(command).toBe(`temporal worker deployment set-current-version --deployment-name ${deploymentName} --build-id build-7`);
      expect(output()).toContain(`worker deployment version ${deploymentName}.build-7 is not current`);
      await runOperatorCommand(command);

      const handle = await suite.env.client.workflow.start(generateVideo, {
        args: [{ request: REQUEST, options: { poll: FAST_POLL } }],
        taskQueue,
        workflowId: uniqueId('gen-versioned'),
      });
      expect((await handle.result()).uri).toMatch(/^file:\/\//);
      const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
      expect(info?.behavior).toBe(temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
      expect(info?.deploymentVersion).toEqual({ deploymentName, buildId: 'build-7' });
      expect(output()).not.toContain(SIM_CREDENTIALS.apiKey);

      started.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      suite.worker = undefined;
    } finally {
      await recordTestLog('worker-versioning-process', output());
    }
  });
});
