// The project's Prometheus metrics, fed by real generations: the generateVideo workflow on the dev server,
// the Kling simulator over HTTP and fake-gcs-server. Values are read from the registry directly.
import { WorkflowFailedError } from '@temporalio/client';
import type { Counter, Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createModelCatalog } from '../../src/kling/index.js';
import { KlingMetrics } from '../../src/metrics/kling-metrics.js';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { adoptVideo, generateVideo } from '../../src/workflows/index.js';
import { uniqueId } from '../support/servers.js';
import { FAST_POLL, useGenerationStack } from '../support/suite.js';

const PROMPT = 'A lighthouse on a cliff at dusk, waves crashing below, slow aerial orbit, cinematic lighting';

let metrics: KlingMetrics;

const suite = useGenerationStack(() => {
  const catalog = createModelCatalog();
  metrics = new KlingMetrics({ isKnownModel: (m) => catalog.find(m) !== undefined });
  return { metrics };
});

type Labels = Record<string, string>;

/** Sum of a counter's (or a histogram's `_count`) values whose labels include `labels`. */
async function total(metric: Counter<string> | Histogram<string>, labels: Labels = {}): Promise<number> {
  const { values } = await metric.get();
  const matches = (v: { labels: Record<string, unknown> }) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want);
  const isHistogram = values.some((v) => 'metricName' in v && String(v.metricName).endsWith('_count'));
  return values
    .filter((v) => !isHistogram || String((v as { metricName?: string }).metricName).endsWith('_count'))
    .filter(matches)
    .reduce((sum, v) => sum + v.value, 0);
}

/** How many Kling API calls the simulator served since `from`, by the labels the client's observer uses. */
function simulatorCalls(from: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of suite.stack.sim.requests.slice(from)) {
    if (r.routeKind !== 'create' && r.routeKind !== 'query' && r.routeKind !== 'account') continue;
    const key = `${r.routeKind}|${r.standard}|${r.status ?? 'none'}|${r.code ?? 'none'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function apiCallCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const v of (await metrics.apiCalls.get()).values) {
    const l = v.labels;
    counts.set(`${l.operation}|${l.standard}|${l.http_status}|${l.code}`, v.value);
  }
  return counts;
}

function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

function start(input: GenerateVideoInput) {
  return suite.env.client.workflow.start(generateVideo, { args: [input], workflowId: uniqueId('metrics'), taskQueue: suite.stack.taskQueue });
}

describe('worker metrics from real generations', () => {
  it('a succeeded generation: outcome, credits, bytes rehosted, phase durations and every Kling call by code', async () => {
    await suite.stack.run(async () => {
      const labels = { outcome: 'succeeded', model: 'kling-2.6' };
      const before = {
        videos: await total(metrics.videos, labels),
        estimated: await total(metrics.creditsEstimated, labels),
        actual: await total(metrics.creditsActual, labels),
        bytes: await total(metrics.rehostBytes),
        generating: await total(metrics.phaseDuration, { phase: 'generating', outcome: 'succeeded' }),
        calls: await apiCallCounts(),
        requests: suite.stack.sim.requests.length,
      };

      const handle = await start({
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 },
        options: { poll: FAST_POLL },
      });
      const result = await handle.result();

      expect(await total(metrics.videos, labels)).toBe(before.videos + 1);
      expect(await total(metrics.creditsEstimated, labels)).toBe(before.estimated + result.credits.estimated);
      expect(result.credits.actual).toBeGreaterThan(0);
      expect(await total(metrics.creditsActual, labels)).toBe(before.actual + result.credits.actual!);
      const stored = await suite.stack.storage.stat(result.objectName);
      expect(stored?.size).toBe(result.size);
      expect(await total(metrics.rehostBytes)).toBe(before.bytes + stored!.size);
      expect(await total(metrics.phaseDuration, { phase: 'generating', outcome: 'succeeded' })).toBe(before.generating + 1);

      // Every API call the simulator served (one create, the status queries, any account reads) was counted once,
      // under the operation, standard, HTTP status and business code the simulator sent. The rehost asked nothing:
      // it downloads from the URL the last status query read.
      const counted = delta(await apiCallCounts(), before.calls);
      const served = simulatorCalls(before.requests);
      expect(counted).toEqual(served);
      expect(counted.get('create|new|200|0')).toBe(1);
      expect(counted.get('query|new|200|0')).toBe(result.polls);
    });
  });

  it('a failed Kling task counts as outcome "failed", with no bytes rehosted', async () => {
    await suite.stack.run(async () => {
      const labels = { outcome: 'failed', model: 'kling-2.6' };
      const beforeFailed = await total(metrics.videos, labels);
      const beforeSucceeded = await total(metrics.videos, { outcome: 'succeeded' });
      const beforeBytes = await total(metrics.rehostBytes);
      const beforeCreates = await total(metrics.apiCalls, { operation: 'create', code: '0' });

      const handle = await start({
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: `${PROMPT} [sim:fail Image pixel is invalid]` },
        options: { poll: FAST_POLL },
      });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);

      expect(await total(metrics.videos, labels)).toBe(beforeFailed + 1);
      expect(await total(metrics.videos, { outcome: 'succeeded' })).toBe(beforeSucceeded);
      expect(await total(metrics.rehostBytes)).toBe(beforeBytes);
      expect(await total(metrics.apiCalls, { operation: 'create', code: '0' })).toBe(beforeCreates + 1);
    });
  });

  it('refused requests are counted without creating a label per unknown model name', async () => {
    await suite.stack.run(async () => {
      const before = await total(metrics.videos, { outcome: 'invalid' });
      const handle = await start({ request: { model: 'kling-v99-imaginary', kind: 'text-to-video', prompt: PROMPT } });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      const values = (await metrics.videos.get()).values;
      expect(values.some((v) => v.labels.model === 'kling-v99-imaginary')).toBe(false);
      // The workflow may report the refused model by name or not at all: either way it is "other" or "none".
      expect(await total(metrics.videos, { outcome: 'invalid' })).toBe(before + 1);
    });
  });

  it('a budget refusal: counted under its model, with a duration for validating only (no phase it never reached)', async () => {
    await suite.stack.run(async () => {
      const phases = ['validating', 'approving', 'submitting', 'generating', 'rehosting'] as const;
      const observed = async () =>
        Object.fromEntries(
          await Promise.all(phases.map(async (phase) => [phase, await total(metrics.phaseDuration, { phase, outcome: 'budget_refused' })] as const)),
        );
      const before = { videos: await total(metrics.videos, { outcome: 'budget_refused', model: 'kling-2.6' }), phases: await observed() };
      const handle = await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 }, options: { maxCredits: 1 } });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect(await total(metrics.videos, { outcome: 'budget_refused', model: 'kling-2.6' })).toBe(before.videos + 1);
      const after = await observed();
      expect(Object.fromEntries(phases.map((p) => [p, after[p]! - before.phases[p]!]))).toEqual({
        validating: 1,
        approving: 0,
        submitting: 0,
        generating: 0,
        rehosting: 0,
      });
      // The Web UI's current details explain the end: outcome, type and message.
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toMatch(/^\*\*failed\*\* — outcome `budget_refused`, BudgetExceeded: /);
    });
  });

  it('a failed Kling task: no approving nor rehosting observation, and the current details name the failure', async () => {
    await suite.stack.run(async () => {
      const count = (phase: string) => total(metrics.phaseDuration, { phase, outcome: 'failed' });
      const before = { approving: await count('approving'), rehosting: await count('rehosting'), generating: await count('generating') };
      const handle = await start({
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: `${PROMPT} [sim:fail Image pixel is invalid]` },
        options: { poll: FAST_POLL },
      });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect(await count('generating')).toBe(before.generating + 1);
      expect(await count('approving')).toBe(before.approving);
      expect(await count('rehosting')).toBe(before.rehosting);
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toMatch(
        /^\*\*failed\*\* — outcome `failed`, VideoGenerationFailed: Kling task \S+ failed: Image pixel is invalid/,
      );
      expect(metadata.currentDetails).toContain('next: `kling-video result');
    });
  });

  it('adoptions count apart from generations: kling_adoptions_total by outcome, never in the video or credit counters', async () => {
    await suite.stack.run(async () => {
      const before = {
        adopted: await total(metrics.adoptions, { outcome: 'succeeded' }),
        notFound: await total(metrics.adoptions, { outcome: 'invalid' }),
        videos: await total(metrics.videos),
        credits: await total(metrics.creditsActual),
      };
      const created = await suite.stack.kling.createTask({
        model: 'kling-2.6',
        kind: 'text-to-video',
        prompt: PROMPT,
        duration: 5,
        externalTaskId: uniqueId('elsewhere'),
      });
      const adopt = (taskId: string) =>
        suite.env.client.workflow.start(adoptVideo, {
          args: [{ taskId, options: { poll: FAST_POLL } }],
          workflowId: uniqueId('metrics-adopt'),
          taskQueue: suite.stack.taskQueue,
        });
      const result = await (await adopt(created.taskId)).result();
      const notFound = await adopt('999999999999999999');
      await expect(notFound.result()).rejects.toThrow();
      const metadata = await notFound.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toMatch(/^\*\*failed\*\* — outcome `invalid`, KlingTaskNotFound: /);

      expect(await total(metrics.adoptions, { outcome: 'succeeded' })).toBe(before.adopted + 1);
      expect(await total(metrics.adoptions, { outcome: 'invalid' })).toBe(before.notFound + 1);
      // Not a generation: neither videos nor credits move (a generation that left the task counted itself); the
      // deduction is in the adoption's result.
      expect(await total(metrics.videos)).toBe(before.videos);
      expect(await total(metrics.creditsActual)).toBe(before.credits);
      expect(result.credits.actual).toBeGreaterThan(0);
      expect(await total(metrics.phaseDuration, { phase: 'rehosting', outcome: 'succeeded' })).toBeGreaterThan(0);
    });
  });
});
