// The worker side of the klingMetrics sink on the dev server, with a minimal workflow that reports one
// generation: the event becomes metrics once, even when the worker has no cache and must replay the report.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelCatalog, KlingClient } from '../../src/kling/index.js';
import { KlingMetrics } from '../../src/metrics/kling-metrics.js';
import type { GenerationFinishedEvent } from '../../src/contract/outcome.js';
import { createLocalStorage } from '../../src/storage/index.js';
import { createKlingWorker } from '../../src/worker.js';
import { SIM_CREDENTIALS } from '../support/generation-stack.js';
import { createDevServerEnv, uniqueId } from '../support/servers.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';
import type { reportsOneGeneration } from './fixtures/sink-workflows.js';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let metrics: KlingMetrics;
let taskQueue: string;

beforeAll(async () => {
  env = await createDevServerEnv();
  const catalog = createModelCatalog();
  metrics = new KlingMetrics({ isKnownModel: (m) => catalog.find(m) !== undefined });
  taskQueue = uniqueId('sink');
  worker = await createKlingWorker({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    // The fixture runs no activity: the client and storage are never used.
    deps: {
      kling: new KlingClient({ baseUrl: 'http://127.0.0.1:9', credentials: SIM_CREDENTIALS }),
      storage: createLocalStorage({ root: await mkdtemp(path.join(tmpdir(), 'kt-sink-')) }),
      metrics,
    },
    workflowBundle: await bundleWorkflows(new URL('./fixtures/sink-workflows.ts', import.meta.url)),
    // No cache: every workflow task replays the history from the start, including the sink call.
    maxCachedWorkflows: 0,
  });
  running = worker.run();
});
afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await env?.teardown();
});

async function report(event: GenerationFinishedEvent, taskId = uniqueId('task')): Promise<string> {
  const workflowId = uniqueId('sink');
  await env.client.workflow.execute<typeof reportsOneGeneration>('reportsOneGeneration', { args: [taskId, event], workflowId, taskQueue });
  return workflowId;
}

const value = async (
  metric: { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number; metricName?: string }> }> },
  labels: Record<string, string>,
  metricName?: string,
) =>
  (await metric.get()).values
    .filter(
      (v) => (metricName === undefined || v.metricName === metricName) && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
    )
    .reduce((sum, v) => sum + v.value, 0);

describe('klingMetrics.generationFinished → Prometheus metrics', () => {
  it('records one event once, although the worker replays the call on each of its later workflow tasks', async () => {
    const workflowId = await report({
      outcome: 'succeeded',
      model: 'kling-2.6',
      standard: 'new',
      creditsEstimated: 15,
      creditsActual: 20,
      creditDrift: true,
      phaseDurationsMs: { validating: 40, generating: 1_500, total: 2_000 },
    });
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const workflowTasks = history.events!.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    expect(workflowTasks).toBeGreaterThanOrEqual(3);

    const labels = { outcome: 'succeeded', model: 'kling-2.6' };
    expect(await value(metrics.videos, labels)).toBe(1);
    expect(await value(metrics.creditsEstimated, labels)).toBe(15);
    expect(await value(metrics.creditsActual, labels)).toBe(20);
    expect(await value(metrics.creditDrift, { model: 'kling-2.6' })).toBe(1);
    expect(await value(metrics.phaseDuration, { phase: 'generating', outcome: 'succeeded' }, 'kling_phase_duration_seconds_count')).toBe(1);
    expect(await value(metrics.phaseDuration, { phase: 'generating', outcome: 'succeeded' }, 'kling_phase_duration_seconds_sum')).toBeCloseTo(1.5);
    expect(await value(metrics.phaseDuration, { phase: 'total', outcome: 'succeeded' }, 'kling_phase_duration_seconds_sum')).toBeCloseTo(2);
  });

  it('labels an unknown model "other" and a missing one "none"; counts no credits that were not reported', async () => {
    await report({ outcome: 'invalid', model: 'kling-v99-imaginary', phaseDurationsMs: { validating: 5 } });
    await report({ outcome: 'cancelled_before_submit', phaseDurationsMs: {} });
    expect(await value(metrics.videos, { outcome: 'invalid', model: 'other' })).toBe(1);
    expect(await value(metrics.videos, { outcome: 'cancelled_before_submit', model: 'none' })).toBe(1);
    expect((await metrics.videos.get()).values.map((v) => v.labels.model)).not.toContain('kling-v99-imaginary');
    expect(await value(metrics.creditsEstimated, { outcome: 'invalid' })).toBe(0);
    expect(await value(metrics.creditDrift, { model: 'other' })).toBe(0);
  });

  it('an event that breaks the contract is refused by the sink without touching the metrics or the workflow', async () => {
    const before = (await metrics.videos.get()).values.reduce((s, v) => s + v.value, 0);
    await report({ outcome: 'exploded', phaseDurationsMs: {} } as unknown as GenerationFinishedEvent);
    expect((await metrics.videos.get()).values.reduce((s, v) => s + v.value, 0)).toBe(before);
  });
});
