import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { projectRoot, tsNodeArgs, TS_NODE } from '../support/binaries.js';
import { createDevServerEnv, testServers, uniqueId } from '../support/servers.js';

let env: TestWorkflowEnvironment;
let sim: Simulator;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  env = await createDevServerEnv();
  sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 300 } });
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await sim?.close();
  await env?.teardown();
});

describe('src/worker.ts as a process (configuration from the environment, local storage)', () => {
  it('generates a video into the local directory, then shuts down gracefully on SIGTERM', async () => {
    const taskQueue = uniqueId('proc');
    const dir = await mkdtemp(path.join(tmpdir(), 'kt-videos-'));
    let output = '';
    worker = spawn(TS_NODE, tsNodeArgs('src/worker.ts'), {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: testServers().temporalAddress,
        TEMPORAL_NAMESPACE: testServers().temporalNamespace,
        KLING_BASE_URL: sim.url,
        KLING_VIDEO_HOSTS: new URL(sim.url).host,
        KLING_VIDEO_ALLOW_HTTP: 'true',
        KLING_API_KEY: 'sim-api-key',
        KLING_TASK_QUEUE: taskQueue,
        LOCAL_STORAGE_DIR: dir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (d) => (output += String(d)));
    worker.stderr!.on('data', (d) => (output += String(d)));
    const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));

    const videos = new VideoGenerationClient(env.client, { taskQueue });
    const workflowId = uniqueId('proc');
    await videos.startVideoGeneration(
      {
        model: 'kling-v1-6',
        kind: 'text-to-video',
        prompt: 'A red fox trots through fresh snow at dawn, tracking shot, cinematic',
        standard: 'legacy',
      },
      { workflowId, options: { poll: { initialInterval: 200, maxInterval: 500 } } },
    );
    const result = await videos.result(workflowId);
    expect(result.uri.startsWith('file://')).toBe(true);
    const bytes = await readFile(fileURLToPath(result.uri));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sim.videoSha256(result.klingTaskId));
    expect(output).toContain(`task queue "${taskQueue}"`);
    expect(output).not.toContain('sim-api-key');

    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    worker = undefined;
  });

  it('refuses to start with a bad configuration, naming the variable and not the secret', async () => {
    const child = spawn(TS_NODE, tsNodeArgs('src/worker.ts'), {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, KLING_ACCESS_KEY: 'ak-secret-value', KLING_BASE_URL: sim.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += String(d)));
    child.stderr!.on('data', (d) => (output += String(d)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/KLING_SECRET_KEY/);
    expect(output).not.toContain('ak-secret-value');
  });
});
