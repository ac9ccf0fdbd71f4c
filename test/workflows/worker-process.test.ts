import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import { uniqueId } from '../support/servers.js';
import { simulatorWorkerEnv, spawnWorker, useWorkerProcessSuite } from '../support/worker-process.js';

const suite = useWorkerProcessSuite();

describe('src/worker.ts as a process (configuration from the environment, local storage)', () => {
  it('generates a video into the local directory, then shuts down gracefully on SIGTERM', async () => {
    const taskQueue = uniqueId('proc');
    const dir = await mkdtemp(path.join(tmpdir(), 'kt-videos-'));
    const { child, output, exited } = spawnWorker(simulatorWorkerEnv(suite.sim.url, taskQueue, dir));
    suite.worker = child;

    const videos = new VideoGenerationClient(suite.env.client, { taskQueue });
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
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(suite.sim.videoSha256(result.klingTaskId));
    expect(output()).toContain(`task queue "${taskQueue}"`);
    expect(output()).not.toContain('sim-api-key');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    suite.worker = undefined;
  });

  it('refuses to start with a bad configuration, naming the variable and not the secret', async () => {
    const { output, exited } = spawnWorker({ KLING_ACCESS_KEY: 'ak-secret-value', KLING_BASE_URL: suite.sim.url });
    expect(await exited).toBe(1);
    expect(output()).toMatch(/KLING_SECRET_KEY/);
    expect(output()).not.toContain('ak-secret-value');
  });
});
