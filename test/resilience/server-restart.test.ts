// The Temporal server itself dies mid-run: this file starts its own dev server on a persistent SQLite file,
// SIGKILLs it while generations are in flight and starts it again on the same file and port. The generations
// complete, each with one Kling task and one stored object.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { generateVideo } from '../../src/workflows/index.js';
import { locateBinary } from '../support/binaries.js';
import { createGenerationStack, type GenerationStack } from '../support/generation-stack.js';
import { KLING_SEARCH_ATTRIBUTES } from '../support/global-setup.js';
import { freePorts, ManagedProcess, sleep, startOrphanReaper } from '../support/processes.js';
import { gcsStorage, installQuietTemporalRuntime, uniqueId } from '../support/servers.js';
import { expectExactlyOnce, tasksFor, waitFor } from './helpers.js';

const HOST = '127.0.0.1';
const GENERATIONS = 3;

let dir: string;
let ports: [number, number, number];
let server: ManagedProcess | undefined;
let stopReaper: (() => void) | undefined;
let env: TestWorkflowEnvironment | undefined;
let stack: GenerationStack | undefined;

async function startServer(): Promise<ManagedProcess> {
  const [port, httpPort, metricsPort] = ports;
  const proc = new ManagedProcess({
    name: 'temporal dev server (persistent)',
    command: locateBinary('temporal'),
    args: [
      'server',
      'start-dev',
      '--headless',
      '--db-filename',
      path.join(dir, 'temporal.db'),
      '--ip',
      HOST,
      '--port',
      String(port),
      '--http-port',
      String(httpPort),
      '--metrics-port',
      String(metricsPort),
      '--log-level',
      'error',
      '--namespace',
      'default',
      ...KLING_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k}=Keyword`]),
    ],
  });
  stopReaper?.();
  stopReaper = startOrphanReaper(process.pid, [proc.pid]);
  await waitFor(
    'the dev server to answer',
    async () => {
      if (proc.hasExited) throw new Error(`dev server ${proc.describeExit()}:\n${proc.tail()}`);
      const connection = await Connection.connect({ address: `${HOST}:${port}`, connectTimeout: 1_000 }).catch(() => undefined);
      if (!connection) return false;
      try {
        await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.describeNamespace({ namespace: 'default' }));
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        return KLING_SEARCH_ATTRIBUTES.every((k) => customAttributes && k in customAttributes);
      } catch {
        return false;
      } finally {
        await connection.close();
      }
    },
    60_000,
    250,
  );
  return proc;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kt-restart-'));
  ports = (await freePorts(3, HOST)) as [number, number, number];
  server = await startServer();
  installQuietTemporalRuntime();
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: `${HOST}:${ports[0]}`, namespace: 'default' });
  // Tasks take 4 s to generate: long enough to restart the server while every generation waits.
  stack = await createGenerationStack(env, { simulator: { schedule: { submittedMs: 200, processingMs: 4_000 } } });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await env?.teardown();
  await server?.stop();
  stopReaper?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Temporal dev server killed and restarted on its persistent database mid-run', () => {
  it(`${GENERATIONS} generations in flight complete, one task and one object each`, async () => {
    await stack!.run(async () => {
      const { sim } = stack!;
      const input: GenerateVideoInput = {
        request: {
          model: 'kling-2.6',
          kind: 'text-to-video',
          prompt: 'A paper boat drifting down a rain-soaked street gutter, low angle tracking shot, neon reflections',
        },
        options: {
          poll: { initialInterval: 300, backoffCoefficient: 1.5, maxInterval: 1_000 },
          // An activity whose completion was lost with the server is retried after seconds, not minutes.
          activityTimeouts: { submitStartToClose: '5s', statusStartToClose: '5s', rehostHeartbeat: '5s', rehostRetryInitialInterval: 500 },
        },
      };
      const ids = Array.from({ length: GENERATIONS }, () => uniqueId('restart'));
      await Promise.all(
        ids.map((workflowId) => env!.client.workflow.start(generateVideo, { args: [input], workflowId, taskQueue: stack!.taskQueue })),
      );
      await waitFor('every task submitted to Kling', () => ids.every((id) => tasksFor(sim, id).length === 1), 30_000);

      const old = server!;
      process.kill(-old.pid, 'SIGKILL');
      expect((await old.exited).signal).toBe('SIGKILL');
      const killedAt = Date.now();
      // Still generating on Kling's side while the server is down.
      expect(ids.map((id) => tasksFor(sim, id)[0]!.status).every((s) => s !== 'succeeded')).toBe(true);
      await sleep(1_000);
      const restartedAt = Date.now();
      server = await startServer();
      expect(server.pid).not.toBe(old.pid);

      const results = await Promise.all(ids.map((id) => env!.client.workflow.getHandle(id).result()));
      const gcs = gcsStorage();
      for (const [i, result] of results.entries()) {
        await expectExactlyOnce(sim, gcs, stack!.bucket, ids[i]!, result);
        expect(result.timingsMs.total).toBeGreaterThan(0);
      }
      // The generations really straddled the outage: Kling finished them after the kill, and every video was
      // downloaded after the restart.
      expect(ids.map((id) => tasksFor(sim, id)[0]!.finishedAt ?? 0).every((t) => t > killedAt)).toBe(true);
      const downloads = sim.requests.filter((r) => r.routeKind === 'download' && r.status === 200);
      expect(downloads.length).toBeGreaterThanOrEqual(GENERATIONS);
      expect(downloads.every((r) => r.at > restartedAt)).toBe(true);
    });
  }, 120_000);
});
