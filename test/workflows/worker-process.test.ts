import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import { workflowBundleFileContent } from '../../src/workflow-bundle-file.js';
import { uniqueId } from '../support/servers.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';
import { simulatorWorkerEnv, spawnWorker, useWorkerProcessSuite } from '../support/worker-process.js';

const suite = useWorkerProcessSuite();

/** One generation through the worker process on `taskQueue`: its result, after checking the stored bytes are Kling's. */
async function generateThrough(taskQueue: string) {
  const videos = new VideoGenerationClient(suite.env.client, { taskQueue });
  const workflowId = uniqueId(taskQueue);
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
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(suite.sim.videoSha256(result.klingTaskId));
  return result;
}

describe('src/worker.ts as a process (configuration from the environment, local storage)', () => {
  it('generates a video into the local directory, then shuts down gracefully on SIGTERM', async () => {
    const taskQueue = uniqueId('proc');
    const dir = await mkdtemp(path.join(tmpdir(), 'kt-videos-'));
    const { child, output, exited } = spawnWorker(simulatorWorkerEnv(suite.sim.url, taskQueue, dir));
    suite.worker = child;

    await generateThrough(taskQueue);
    expect(output()).toContain(`task queue "${taskQueue}"`);
    expect(output()).not.toContain('sim-api-key');
    expect(output()).toContain('Workflow bundle created'); // bundled at start: no KLING_WORKFLOW_BUNDLE

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    suite.worker = undefined;
  });

  it('KLING_WORKFLOW_BUNDLE: starts from the prebuilt bundle (no webpack at start) and generates with it', async () => {
    const taskQueue = uniqueId('proc-bundle');
    const dir = await mkdtemp(path.join(tmpdir(), 'kt-videos-'));
    // What scripts/build-workflow-bundle.ts writes: workflowBundleOptions()'s bundle behind the header line.
    const bundleFile = path.join(dir, 'workflow-bundle.js');
    await writeFile(bundleFile, workflowBundleFileContent((await bundleWorkflows('src/workflows/index.ts')).code, { tracing: false }));
    const { child, output, exited } = spawnWorker({ ...simulatorWorkerEnv(suite.sim.url, taskQueue, dir), KLING_WORKFLOW_BUNDLE: bundleFile });
    suite.worker = child;

    await generateThrough(taskQueue);
    expect(output()).toContain(`workflows from the prebuilt bundle ${bundleFile} (KLING_WORKFLOW_BUNDLE)`);
    expect(output()).not.toContain('Workflow bundle created');
    expect(output()).not.toContain('unknown environment variable KLING_WORKFLOW_BUNDLE');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    suite.worker = undefined;
  });

  it('KLING_WORKFLOW_BUNDLE naming a missing file: refuses to start, naming the variable and the file', async () => {
    const missing = path.join(tmpdir(), `kt-no-bundle-${String(process.pid)}.js`);
    const { output, exited } = spawnWorker({
      ...simulatorWorkerEnv(suite.sim.url, uniqueId('proc-nobundle'), tmpdir()),
      KLING_WORKFLOW_BUNDLE: missing,
    });
    expect(await exited).toBe(1);
    expect(output()).toContain(`KLING_WORKFLOW_BUNDLE: cannot read ${missing} (ENOENT)`);
  });

  it('refuses to start with a bad configuration, naming the variable and not the secret', async () => {
    const { output, exited } = spawnWorker({ KLING_ACCESS_KEY: 'ak-secret-value', KLING_BASE_URL: suite.sim.url });
    expect(await exited).toBe(1);
    expect(output()).toMatch(/KLING_SECRET_KEY/);
    expect(output()).not.toContain('ak-secret-value');
  });
});
