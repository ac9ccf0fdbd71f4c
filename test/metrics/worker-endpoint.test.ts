// src/worker.ts as its own process (the Temporal Runtime, and so core's metrics exporter, is installed once per
// process): the /metrics endpoint serves Prometheus text with Temporal's runtime metrics and the project's, and
// KLING_LOG_FORMAT=json writes one JSON object per line carrying workflowId and klingTaskId, never a secret.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import type { GenerateVideoResult } from '../../src/contract/generation.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { projectRoot, tsNodeArgs, TS_NODE } from '../support/binaries.js';
import { SIM_CREDENTIALS } from '../support/generation-stack.js';
import { createDevServerEnv, uniqueId } from '../support/servers.js';
import { simulatorWorkerEnv } from '../support/worker-process.js';

const API_KEY = SIM_CREDENTIALS.apiKey;

let env: TestWorkflowEnvironment;
let sim: Simulator;
let worker: ChildProcess | undefined;
let stdout = '';
let stderr = '';
let metricsUrl: string;
let taskQueue: string;
let workflowId: string;
let result: GenerateVideoResult;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (worker?.exitCode !== null && worker?.exitCode !== undefined)
      throw new Error(`worker exited (${worker.exitCode}) before ${what}:\n${stdout}\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition format: `name{a="x",b="y"} value` lines (comments and blank lines skipped). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Complete stdout lines (a trailing partial line is left for later), each parsed as JSON. */
const jsonLines = () =>
  stdout
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`stdout line is not JSON: ${l}`);
      }
    });

beforeAll(async () => {
  env = await createDevServerEnv();
  sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 300 } });
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  taskQueue = uniqueId('metrics-proc');
  worker = spawn(TS_NODE, tsNodeArgs('src/worker.ts'), {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH,
      KLING_DOTENV: 'off',
      ...simulatorWorkerEnv(sim.url, taskQueue, await mkdtemp(path.join(tmpdir(), 'kt-metrics-'))),
      KLING_METRICS_PORT: String(port),
      KLING_METRICS_HOST: '127.0.0.1',
      KLING_LOG_FORMAT: 'json',
      // DEBUG adds the SDK's per-activity lines ("Activity completed"), which must carry the Kling task id too.
      KLING_LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (d) => (stdout += String(d)));
  worker.stderr!.on('data', (d) => (stderr += String(d)));
  await waitFor('the worker to poll', () => stdout.includes(`task queue \\"${taskQueue}\\"`));

  const videos = new VideoGenerationClient(env.client, { taskQueue });
  workflowId = uniqueId('metrics-proc');
  await videos.startVideoGeneration(
    { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A red fox trots through fresh snow at dawn, tracking shot, cinematic', duration: 5 },
    { workflowId, options: { poll: { initialInterval: 200, maxInterval: 500 } } },
  );
  result = await videos.result(workflowId);
  // The result can arrive before the child's last lines have been read from its stdout pipe.
  await waitFor("the workflow's last log line", () => jsonLines().some((l) => l.workflowId === workflowId && l.message === 'Workflow completed'));
}, 120_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker!.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
  await sim?.close();
  await env?.teardown();
});

describe('the worker process with KLING_METRICS_PORT and KLING_LOG_FORMAT=json', () => {
  it('serves Prometheus text at /metrics: Temporal runtime metrics and the project’s, with the generation counted', async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const samples = parseSamples(text);

    // Temporal core's exporter: its metrics, for this task queue.
    const temporal = samples.filter((s) => s.name.startsWith('temporal_'));
    expect(temporal.length).toBeGreaterThan(10);
    expect(text).toMatch(/^# TYPE temporal_\w+ (counter|gauge|histogram)$/m);
    const polled = temporal.filter((s) => s.labels.task_queue === taskQueue);
    expect(polled.length).toBeGreaterThan(0);
    const completed = samples.find((s) => s.name.startsWith('temporal_workflow_completed') && s.labels.task_queue === taskQueue);
    expect(completed?.value).toBe(1);

    // The project's.
    expect(text).toMatch(/^# TYPE kling_videos_total counter$/m);
    const videos = samples.find((s) => s.name === 'kling_videos_total' && s.labels.outcome === 'succeeded' && s.labels.model === 'kling-2.6');
    expect(videos?.value).toBe(1);
    const creates = samples.filter((s) => s.name === 'kling_api_calls_total' && s.labels.operation === 'create');
    expect(creates).toEqual([
      { name: 'kling_api_calls_total', labels: { operation: 'create', standard: 'new', http_status: '200', code: '0' }, value: 1 },
    ]);
    expect(samples.find((s) => s.name === 'kling_rehost_bytes_total')?.value).toBe(result.size);
    expect(samples.find((s) => s.name === 'kling_credits_estimated_total' && s.labels.outcome === 'succeeded')?.value).toBe(result.credits.estimated);
    expect(samples.find((s) => s.name === 'kling_phase_duration_seconds_count' && s.labels.phase === 'generating')?.value).toBe(1);

    expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('writes one JSON object per line, with workflowId and klingTaskId on the lines about the task, and no secret', () => {
    const lines = jsonLines();
    for (const line of lines) {
      expect(typeof line.level).toBe('string');
      expect(typeof line.message).toBe('string');
      expect(Number.isNaN(Date.parse(String(line.time)))).toBe(false);
    }
    const ours = lines.filter((l) => l.workflowId === workflowId);
    expect(ours.length).toBeGreaterThan(3);

    // The SDK's own activity lines for activities that work on the task carry its Kling id.
    const completedActivities = ours.filter((l) => l.message === 'Activity completed');
    const onTask = completedActivities.filter((l) => l.activityType === 'getVideoTaskStatus' || l.activityType === 'rehostVideo');
    expect(onTask.map((l) => l.activityType)).toEqual(expect.arrayContaining(['getVideoTaskStatus', 'rehostVideo']));
    for (const line of onTask) expect(line).toMatchObject({ klingTaskId: result.klingTaskId, externalTaskId: result.externalTaskId });
    const submitted = completedActivities.find((l) => l.activityType === 'submitVideoTask');
    expect(submitted).toMatchObject({ externalTaskId: result.externalTaskId });

    // The workflow's lines carry it once the task exists (a workflow interceptor reads the KlingTaskId search attribute).
    const workflowLines = ours.filter((l) => l.message === 'Workflow started' || l.message === 'Workflow completed');
    expect(workflowLines.map((l) => l.message)).toEqual(['Workflow started', 'Workflow completed']);
    expect(workflowLines[0]!.klingTaskId).toBeUndefined();
    expect(workflowLines[1]).toMatchObject({ workflowType: 'generateVideo', klingTaskId: result.klingTaskId });

    // One summary line per generation, from the worker side of the metrics sink.
    const finished = ours.filter((l) => l.message === 'generation finished');
    expect(finished).toEqual([expect.objectContaining({ level: 'INFO', klingTaskId: result.klingTaskId, outcome: 'succeeded', model: 'kling-2.6' })]);

    expect(stdout + stderr).not.toContain(API_KEY);
  });
});
