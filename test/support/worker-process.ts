// src/worker.ts as its own process, the way an operator runs it: configured from the environment only.
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { projectRoot, tsNodeArgs, TS_NODE } from './binaries.js';
import { SIM_CREDENTIALS, type Simulator } from './generation-stack.js';
import { createDevServerEnv, testServers } from './servers.js';

/** A started worker process: the child, its stdout and stderr so far (interleaved), and its exit code once it exits. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `node --import tsx src/worker.ts` in the project root with `env` (plus PATH, and KLING_DOTENV=off so that a
 * developer's .env never reaches it) and nothing else of the test's environment.
 */
export function spawnWorker(env: Record<string, string | undefined>): WorkerProcess {
  const child = spawn(TS_NODE, tsNodeArgs('src/worker.ts'), {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, KLING_DOTENV: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += String(d)));
  child.stderr!.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * The variables of a worker that serves `taskQueue` on the suite's Temporal server, with the simulator at `simUrl` as
 * Kling (its API key; its CDN allowed over http) and `storageDir` as local storage.
 */
export function simulatorWorkerEnv(simUrl: string, taskQueue: string, storageDir: string): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: testServers().temporalAddress,
    TEMPORAL_NAMESPACE: testServers().temporalNamespace,
    KLING_BASE_URL: simUrl,
    KLING_VIDEO_HOSTS: new URL(simUrl).host,
    KLING_VIDEO_ALLOW_HTTP: 'true',
    KLING_API_KEY: SIM_CREDENTIALS.apiKey,
    KLING_TASK_QUEUE: taskQueue,
    LOCAL_STORAGE_DIR: storageDir,
  };
}

/** What a file whose tests start worker processes shares: the dev server's environment, a simulator, the worker under test. */
export interface WorkerProcessSuite {
  readonly env: TestWorkflowEnvironment;
  readonly sim: Simulator;
  /** The worker process a test started; one still running at the end is SIGKILLed (a test that stops it sets undefined). */
  worker: ChildProcess | undefined;
}

/**
 * Registers `beforeAll`/`afterAll` hooks (for the file, or the `describe` it is called in): the shared dev server's
 * environment and a simulator whose tasks end within half a second. Read `env`/`sim` inside hooks and tests only.
 */
export function useWorkerProcessSuite(): WorkerProcessSuite {
  const suite: { env?: TestWorkflowEnvironment; sim?: Simulator; worker?: ChildProcess } = {};
  beforeAll(async () => {
    suite.env = await createDevServerEnv();
    suite.sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 300 } });
  });
  afterAll(async () => {
    suite.worker?.kill('SIGKILL');
    await suite.sim?.close();
    await suite.env?.teardown();
  });
  return suite as WorkerProcessSuite;
}
