// Estimate against actual on real Temporal: the simulator charges 25 % more than the published prices
// (priceSkew), and failed tasks cost their full price (failedTaskDeduction), so drift and the deduction of a
// failed task are observed, never assumed.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { COST_MEMO_KEY, CostRecord } from '../../src/contract/costs.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { generateVideo, progressQuery } from '../../src/workflows/index.js';
import { KlingClient } from '../../src/kling/index.js';
import { KlingMetrics } from '../../src/metrics/kling-metrics.js';
import { createKlingWorker } from '../../src/worker.js';
import { SIM_CREDENTIALS, simulatorVideoHosts } from '../support/generation-stack.js';
import { captureHistory } from '../support/histories.js';
import { uniqueId } from '../support/servers.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';
import { FAST_POLL, useGenerationStack } from '../support/suite.js';

const PROMPT = 'A lighthouse keeper climbs a spiral staircase at dusk, warm lamp light, slow tracking shot, 35mm film look';
const T2V = { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 };
const SKEW = 1.25;

const suite = useGenerationStack({ simulator: { priceSkew: SKEW, failedTaskDeduction: 'full' } });

const start = (input: GenerateVideoInput) =>
  suite.env.client.workflow.start(generateVideo, { args: [input], workflowId: uniqueId('cost'), taskQueue: suite.stack.taskQueue });

async function memoOf(workflowId: string): Promise<CostRecord> {
  const memo = (await suite.env.client.workflow.getHandle(workflowId).describe()).memo?.[COST_MEMO_KEY];
  expect(memo, 'cost memo').toBeDefined();
  return CostRecord.parse(memo);
}

describe('estimate against actual (simulator charging 25 % above the published prices)', () => {
  it('records the estimate and Kling’s deduction; a difference beyond the tolerance is flagged as drift in the result, memo and progress', async () => {
    await suite.stack.run(async () => {
      const handle = await start({ request: T2V, options: { poll: FAST_POLL } });
      const result = await handle.result();
      await captureHistory(handle, 'costs-drift-succeeded');
      const charged = suite.stack.sim.task(result.klingTaskId)!.chargedUnits!;
      expect(charged).toBeCloseTo(1.5 * SKEW, 5); // kling-2.6 720p: 0.3 units/s × 5 s, skewed
      expect(result.credits.estimated).toBe(15);
      expect(result.credits.actual).toBeCloseTo(charged * 10, 5);
      expect(result.credits.driftCredits).toBeCloseTo(charged * 10 - 15, 5);
      expect(result.credits.drift).toBe(true);

      const memo = await memoOf(handle.workflowId);
      expect(memo).toMatchObject({
        model: 'kling-2.6',
        estimatedCredits: 15,
        creditsPerUnit: 10,
        drift: true,
        driftTolerance: 0.05,
        outcome: 'succeeded',
        submission: 'submitted',
        klingTaskId: result.klingTaskId,
      });
      expect(memo.actualUnits).toBeCloseTo(charged, 5);
      expect(memo.actualCredits).toBeCloseTo(result.credits.actual!, 5);
      expect(memo.tasks).toEqual([
        { klingTaskId: result.klingTaskId, externalTaskId: result.externalTaskId, status: 'succeeded', unitsDeducted: charged },
      ]);
      const progress = await handle.query(progressQuery);
      expect(progress.outcome).toBe('succeeded');
      expect(progress.costs?.drift).toBe(true);
    });
  });

  it('a difference within the configured tolerance is recorded but not flagged', async () => {
    await suite.stack.run(async () => {
      const handle = await start({ request: T2V, options: { poll: FAST_POLL, creditDriftTolerance: 0.3 } });
      const result = await handle.result();
      expect(result.credits.driftCredits).toBeCloseTo(15 * (SKEW - 1), 5);
      expect(result.credits.drift).toBe(false);
      expect(await memoOf(handle.workflowId)).toMatchObject({ drift: false, driftTolerance: 0.3, outcome: 'succeeded' });
    });
  });

  it('a failed task: the deduction Kling reports is recorded as observed (failure details and memo), not assumed zero', async () => {
    await suite.stack.run(async () => {
      const handle = await start({ request: { ...T2V, prompt: `${PROMPT} [sim:fail Internal generation error]` }, options: { poll: FAST_POLL } });
      const err = await handle.result().catch((e: unknown) => e);
      await captureHistory(handle, 'costs-failed-deduction');
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(failure.type).toBe(FailureType.VideoGenerationFailed);
      const details = failure.details?.[0] as {
        taskId: string;
        unitsDeducted: number | null;
        creditsDeducted: number | null;
        estimatedCredits: number;
      };
      const charged = suite.stack.sim.task(details.taskId)!.chargedUnits;
      expect(charged).toBeCloseTo(1.5 * SKEW, 5);
      expect(details.unitsDeducted).toBeCloseTo(charged!, 5);
      expect(details.creditsDeducted).toBeCloseTo(charged! * 10, 5);
      expect(details.estimatedCredits).toBe(15);
      expect(failure.message).toContain(`Kling reported deducting ${charged} units`);

      const memo = await memoOf(handle.workflowId);
      expect(memo).toMatchObject({ outcome: 'failed', estimatedCredits: 15, klingTaskId: details.taskId, drift: false });
      expect(memo.actualUnits).toBeCloseTo(charged!, 5);
      expect(memo.tasks?.[0]).toMatchObject({ klingTaskId: details.taskId, status: 'failed', unitsDeducted: charged });
    });
  });

  it('refused before submission (invalid input): the memo says nothing was submitted or spent', async () => {
    await suite.stack.run(async () => {
      const before = suite.stack.sim.tasks().length;
      const handle = await start({ request: { ...T2V, duration: 7 } });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      const memo = await memoOf(handle.workflowId);
      expect(memo).toMatchObject({ outcome: 'invalid', submission: 'none', drift: false });
      expect(memo.actualCredits).toBeUndefined();
      expect(suite.stack.sim.tasks().length).toBe(before);
    });
  });

  it('the metrics sink hears every end exactly once: success with drift, refusals and a cancellation', async () => {
    const metrics = new KlingMetrics();
    const taskQueue = uniqueId('metrics');
    const worker = await createKlingWorker({
      connection: suite.env.nativeConnection,
      namespace: suite.env.namespace,
      taskQueue,
      deps: {
        kling: new KlingClient({ baseUrl: suite.stack.sim.url, credentials: SIM_CREDENTIALS, requestTimeoutMs: 5_000 }),
        storage: suite.stack.storage,
        videoHosts: simulatorVideoHosts(suite.stack.sim),
        metrics,
      },
      workflowBundle: await bundleWorkflows('src/workflows/index.ts'),
    });
    const run = (input: GenerateVideoInput) =>
      suite.env.client.workflow.start(generateVideo, { args: [input], workflowId: uniqueId('metrics'), taskQueue });
    const charged = await worker.runUntil(async () => {
      const ok = await (await run({ request: T2V, options: { poll: FAST_POLL } })).result();
      await expect((await run({ request: { ...T2V, duration: 7 } })).result()).rejects.toThrow();
      await expect((await run({ request: T2V, options: { maxCredits: 1 } })).result()).rejects.toThrow();
      const waiting = await run({ request: T2V, options: { approval: { aboveCredits: 0 } } });
      for (let i = 0; i < 200 && (await waiting.query(progressQuery)).phase !== 'awaiting_approval'; i++) await new Promise((r) => setTimeout(r, 50));
      await waiting.cancel();
      await expect(waiting.result()).rejects.toThrow();
      return suite.stack.sim.task(ok.klingTaskId)!.chargedUnits!;
    });
    const byOutcome = Object.fromEntries((await metrics.videos.get()).values.map((v) => [v.labels.outcome, v.value]));
    expect(byOutcome).toEqual({ succeeded: 1, invalid: 1, budget_refused: 1, cancelled_before_submit: 1 });
    const actual = (await metrics.creditsActual.get()).values;
    expect(actual).toHaveLength(1);
    expect(actual[0]).toMatchObject({ labels: { outcome: 'succeeded', model: 'kling-2.6' } });
    expect(actual[0]!.value).toBeCloseTo(charged * 10, 5);
    expect((await metrics.creditDrift.get()).values.map((v) => v.value)).toEqual([1]);
  });
});
