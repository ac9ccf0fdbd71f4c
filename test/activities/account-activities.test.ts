// The money activities against the simulator over HTTP, in Temporal's activity test environment: the balance guard
// and getVideoTaskStatus's fallback to the account's deduction records.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActivities, type ActivityDeps } from '../../src/activities/index.js';
import { KlingClient } from '../../src/kling/index.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { SubmittedTask } from '../../src/contract/generation.js';
import { ManualClock, startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { createLocalStorage } from '../../src/storage/index.js';

const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, golden hour, macro lens';
const clock = new ManualClock();
const SCHEDULE = { submittedMs: 1_000, processingMs: 4_000 };
const storage = createLocalStorage({ root: mkdtempSync(path.join(tmpdir(), 'kv-account-activities-')) });
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ now: clock.now, schedule: SCHEDULE, unitBalance: 10, accountCostsQps: null });
});
afterAll(async () => sim?.close());
beforeEach(() => sim.reset());

function activities(s: Simulator, extra: Partial<ActivityDeps> = {}, preferredStandard: 'new' | 'legacy' = 'new') {
  const kling = new KlingClient({
    baseUrl: s.url,
    credentials: { apiKey: 'sim-api-key' },
    now: clock.now,
    accountCostsCacheTtlMs: 0,
    preferredStandard,
  });
  return { kling, acts: createActivities({ kling, storage, ...extra }) };
}
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => new MockActivityEnvironment().run(fn, ...args);
const costsCalls = (s: Simulator) => s.requests.filter((r) => r.path === '/account/costs').length;
const ledgerCalls = (s: Simulator) => s.requests.filter((r) => r.path === '/account/billing/package').length;

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('checkAccountBalance', () => {
  it('disabled (the default): answers checked: false without calling Kling', async () => {
    const { acts } = activities(sim);
    expect(await run(acts.checkAccountBalance, { estimatedCredits: 500, creditsPerUnit: 10 })).toEqual({ checked: false, requiredUnits: 50 });
    expect(costsCalls(sim)).toBe(0);
  });

  it('enabled and covered: reports the remaining units', async () => {
    const { acts } = activities(sim, { balanceGuard: { enabled: true } });
    const result = await run(acts.checkAccountBalance, { estimatedUnits: 10 });
    expect(result).toMatchObject({ checked: true, requiredUnits: 10, remainingUnits: 10 });
    expect(costsCalls(sim)).toBe(1);
  });

  it('enabled and too low: a non-retryable BudgetExceeded naming the budget and the numbers', async () => {
    const { kling, acts } = activities(sim, { balanceGuard: { enabled: true } });
    const created = await kling.createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 10, resolution: '1080p' }); // 5 units
    clock.advance(5_000);
    expect(sim.task(created.taskId)?.status).toBe('succeeded');
    const failure = await failureOf(run(acts.checkAccountBalance, { estimatedCredits: 60, creditsPerUnit: 10 }));
    expect(failure.type).toBe(FailureType.BudgetExceeded);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('needs 6 units');
    expect(failure.message).toContain('have 5 left');
    expect(failure.message).toContain('60 credits');
    expect(failure.details?.[0]).toMatchObject({ budget: 'balance', requiredUnits: 6, remainingUnits: 5, estimatedCredits: 60, creditsPerUnit: 10 });
    expect(sim.tasks()).toHaveLength(1); // nothing was submitted by the guard
  });

  it('counts only the configured pack; an unknown pack name means nothing is available', async () => {
    const { acts } = activities(sim, { balanceGuard: { enabled: true, resourcePackName: 'Image pack' } });
    const failure = await failureOf(run(acts.checkAccountBalance, { estimatedUnits: 1 }));
    expect(failure.details?.[0]).toMatchObject({ budget: 'balance', remainingUnits: 0 });
    expect(sim.requests.find((r) => r.path === '/account/costs')?.query.resource_pack_name).toBe('Image pack');
  });

  it('refuses input that names no estimate, or credits without a rate, naming the field', async () => {
    const { acts } = activities(sim, { balanceGuard: { enabled: true } });
    const missing = await failureOf(run(acts.checkAccountBalance, {}));
    expect(missing.type).toBe(FailureType.InvalidVideoRequest);
    expect(missing.message).toContain('estimatedUnits');
    const noRate = await failureOf(run(acts.checkAccountBalance, { estimatedCredits: 10 }));
    expect(noRate.message).toContain('creditsPerUnit');
    expect(costsCalls(sim)).toBe(0);
  });

  it("Kling's rate limit is a retryable failure with a delay", async () => {
    await withSim({}, async (s) => {
      const { acts } = activities(s, { balanceGuard: { enabled: true }, limitRetryDelays: { rateLimitMs: 1_234 } });
      s.faults.script([{ kind: 'rate-limit-1302', route: 'account' }]);
      const failure = await failureOf(run(acts.checkAccountBalance, { estimatedUnits: 1 }));
      expect(failure.type).toBe(FailureType.KlingUnavailable);
      expect(failure.nonRetryable).toBe(false);
      expect(failure.nextRetryDelay).toBe(1_234);
    });
  });
});

async function withSim(options: SimulatorOptions, fn: (s: Simulator) => Promise<void>): Promise<void> {
  const other = await startSimulator({ now: clock.now, schedule: SCHEDULE, ...options });
  try {
    await fn(other);
  } finally {
    await other.close();
  }
}

async function submitted(kling: KlingClient, request: Record<string, unknown>): Promise<SubmittedTask> {
  const externalTaskId = `ext-${Math.random().toString(36).slice(2)}`;
  const task = await kling.createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5, externalTaskId, ...request });
  return { taskId: task.taskId, externalTaskId, standard: task.standard, kind: task.kind, adopted: false };
}

describe('getVideoTaskStatus: the deduction when the task query has none', () => {
  it('new standard without billing: the units come from the deduction records once the task is terminal', async () => {
    await withSim({ newTaskBilling: 'omit', priceSkew: 1.2 }, async (s) => {
      const { kling, acts } = activities(s);
      const task = await submitted(kling, {});
      expect(await run(acts.getVideoTaskStatus, task)).toEqual({ status: 'submitted', statusMessage: undefined, unitsDeducted: undefined });
      expect(ledgerCalls(s)).toBe(0); // not terminal: no lookup
      clock.advance(5_000);
      expect(await run(acts.getVideoTaskStatus, task)).toMatchObject({ status: 'succeeded', unitsDeducted: 1.8 });
      expect(ledgerCalls(s)).toBe(1);
    });
  });

  it('a failed task: what the records say when Kling deducted (never assumed 0), undefined when it did not', async () => {
    await withSim({ newTaskBilling: 'omit', failedTaskDeduction: 0.4 }, async (s) => {
      const { kling, acts } = activities(s);
      const task = await submitted(kling, { prompt: `${PROMPT} [sim:fail moderation]` });
      clock.advance(5_000);
      expect(await run(acts.getVideoTaskStatus, task)).toEqual({ status: 'failed', statusMessage: 'moderation', unitsDeducted: 0.4 });
    });
    await withSim({ newTaskBilling: 'omit' }, async (s) => {
      const { kling, acts } = activities(s);
      const task = await submitted(kling, { prompt: `${PROMPT} [sim:fail moderation]` });
      clock.advance(5_000);
      const snapshot = await run(acts.getVideoTaskStatus, task);
      expect(snapshot).toMatchObject({ status: 'failed', statusMessage: 'moderation' });
      expect(snapshot.unitsDeducted).toBeUndefined();
      expect(ledgerCalls(s)).toBe(1);
    });
  });

  it('a failed lookup leaves the deduction undefined and never fails the poll', async () => {
    await withSim({ newTaskBilling: 'omit' }, async (s) => {
      const { kling, acts } = activities(s);
      const task = await submitted(kling, {});
      clock.advance(5_000);
      s.faults.script([{ kind: 'http-5000', route: 'account' }]);
      const snapshot = await run(acts.getVideoTaskStatus, task);
      expect(snapshot.status).toBe('succeeded');
      expect(snapshot.unitsDeducted).toBeUndefined();
      expect(s.requests.filter((r) => r.path === '/account/billing/package').map((r) => r.status)).toEqual([500]);
    });
  });

  it('no lookup when the query carries the deduction, nor on the legacy standard', async () => {
    const { kling, acts } = activities(sim);
    const task = await submitted(kling, {});
    const legacy = await submitted(activities(sim, {}, 'legacy').kling, { model: 'kling-v2-6' });
    expect(legacy.standard).toBe('legacy');
    clock.advance(5_000);
    expect(await run(acts.getVideoTaskStatus, task)).toMatchObject({ status: 'succeeded', unitsDeducted: 1.5 });
    expect(await run(acts.getVideoTaskStatus, legacy)).toMatchObject({ status: 'succeeded', unitsDeducted: 1.5 });
    expect(ledgerCalls(sim)).toBe(0);
  });
});
