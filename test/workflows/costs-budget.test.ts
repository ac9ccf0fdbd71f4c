// Budgets enforced before submission, on real Temporal: maxCredits per generation, and the rolling daily budget
// of a task queue held by the creditBudget entity workflow, which concurrent generations cannot overspend.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { COST_MEMO_KEY } from '../../src/contract/costs.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { creditBudgetQuery, creditBudgetWorkflowId, generateVideo } from '../../src/workflows/index.js';
import { KlingClient } from '../../src/kling/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { createKlingWorker } from '../../src/worker.js';
import { SIM_CREDENTIALS } from '../support/generation-stack.js';
import { captureHistory } from '../support/histories.js';
import { uniqueId } from '../support/servers.js';
import { bundleWorkflows } from '../support/workflow-bundle.js';
import { creates, failureOf, FAST_POLL, useGenerationStack } from '../support/suite.js';

const PROMPT = 'A paper boat drifts down a rain-soaked street gutter, low angle macro shot, overcast light, shallow depth of field';
const T2V = { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 }; // 15 credits

const suite = useGenerationStack();

const start = (input: GenerateVideoInput, workflowId = uniqueId('budget')) =>
  suite.env.client.workflow.start(generateVideo, { args: [input], workflowId, taskQueue: suite.stack.taskQueue });
describe('budgets refuse before any create call', () => {
  it('maxCredits: BudgetExceeded names the budget and the numbers; the simulator saw no create', async () => {
    await suite.stack.run(async () => {
      const before = creates(suite.stack.sim).length;
      const handle = await start({ request: { ...T2V, audio: true, resolution: '1080p' }, options: { maxCredits: 49 } });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(FailureType.BudgetExceeded);
      expect(failure.message).toMatch(/maxCredits.*50.*49/);
      expect(failure.details?.[0]).toMatchObject({ budget: 'maxCredits', estimatedCredits: 50, maxCredits: 49 });
      expect(creates(suite.stack.sim).length).toBe(before);
      // The estimate is known though no plan was made: the memo keeps it (and the model), so `costs` shows it.
      expect((await handle.describe()).memo?.[COST_MEMO_KEY]).toMatchObject({
        outcome: 'budget_refused',
        submission: 'none',
        estimatedCredits: 50,
        model: 'kling-2.6',
      });
      await captureHistory(handle, 'max-credits-refused');
    });
  });

  it('dailyCreditBudget: three concurrent generations against 40 credits: two run, one is refused with the numbers before its create', async () => {
    await suite.stack.run(async () => {
      const before = creates(suite.stack.sim).length;
      const options = { poll: FAST_POLL, dailyCreditBudget: 40 };
      const handles = await Promise.all([1, 2, 3].map(() => start({ request: T2V, options })));
      const settled = await Promise.allSettled(handles.map((h) => h.result()));
      const succeeded = settled.filter((s) => s.status === 'fulfilled');
      const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      expect(succeeded).toHaveLength(2);
      expect(refused).toHaveLength(1);
      const failure = (refused[0]!.reason as WorkflowFailedError).cause as ApplicationFailure;
      expect(failure.type).toBe(FailureType.BudgetExceeded);
      expect(failure.message).toContain('dailyCreditBudget');
      expect(failure.message).toContain(suite.stack.taskQueue);
      expect(failure.details?.[0]).toMatchObject({
        budget: 'dailyCreditBudget',
        limitCredits: 40,
        usedCredits: 30,
        requestedCredits: 15,
        remainingCredits: 10,
      });
      // Exactly the two granted generations reached Kling.
      expect(creates(suite.stack.sim).length - before).toBe(2);

      // Both holds were settled with Kling's deduction (15 credits each, no skew here): 30 of 40 spent today.
      const budget = suite.env.client.workflow.getHandle(creditBudgetWorkflowId(suite.stack.taskQueue));
      const state = await budget.query(creditBudgetQuery);
      expect(state.usedCredits).toBe(30);
      expect(state.entries.map((e) => e.state)).toEqual(['settled', 'settled']);

      // The window still holds that spend: another generation is refused too, before any create.
      const againHandle = await start({ request: T2V, options });
      const again = await failureOf(againHandle.result());
      await captureHistory(againHandle, 'daily-budget-refused');
      expect(again.details?.[0]).toMatchObject({ budget: 'dailyCreditBudget', usedCredits: 30, limitCredits: 40 });
      expect(creates(suite.stack.sim).length - before).toBe(2);
    });
  });

  it('a generation refused by Kling at create releases its hold (nothing spent)', async () => {
    await suite.stack.run(async () => {
      const queueBudget = suite.env.client.workflow.getHandle(creditBudgetWorkflowId(suite.stack.taskQueue));
      const usedBefore = (await queueBudget.query(creditBudgetQuery)).usedCredits;
      suite.stack.sim.faults.script([{ route: 'create', kind: 'error', status: 400, code: 1301, message: 'content policy' }]);
      const failure = await failureOf((await start({ request: T2V, options: { poll: FAST_POLL, dailyCreditBudget: 1_000 } })).result());
      expect(failure.type).toBe(FailureType.ContentPolicyViolation);
      const deadline = Date.now() + 10_000;
      let used = Number.NaN;
      while (Date.now() < deadline) {
        used = (await queueBudget.query(creditBudgetQuery)).usedCredits;
        if (used === usedBefore) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(used).toBe(usedBefore);
      // It was reserved (an accepted `reserve` Update) and then released, not merely never reserved.
      const events = (await queueBudget.fetchHistory()).events ?? [];
      expect(events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'release')).toBe(true);
    });
  });

  it('balance guard (worker option): packs that cannot cover the estimate refuse the generation before the create', async () => {
    // A worker of its own, with the guard on, against an account holding 1 unit (the request needs 1.5).
    const sim = await startSimulator({ unitBalance: 1, accountCostsQps: null, schedule: { submittedMs: 100, processingMs: 400 } });
    try {
      const taskQueue = uniqueId('balance');
      const worker = await createKlingWorker({
        connection: suite.env.nativeConnection,
        namespace: suite.env.namespace,
        taskQueue,
        deps: {
          kling: new KlingClient({ baseUrl: sim.url, credentials: SIM_CREDENTIALS, requestTimeoutMs: 5_000 }),
          storage: suite.stack.storage,
          balanceGuard: { enabled: true },
        },
        workflowBundle: await bundleWorkflows('src/workflows/index.ts'),
      });
      const failure = await worker.runUntil(async () => {
        const handle = await suite.env.client.workflow.start(generateVideo, {
          args: [{ request: T2V, options: { poll: FAST_POLL } }],
          workflowId: uniqueId('balance'),
          taskQueue,
        });
        return failureOf(handle.result());
      });
      expect(failure.type).toBe(FailureType.BudgetExceeded);
      expect(failure.details?.[0]).toMatchObject({ budget: 'balance', requiredUnits: 1.5, remainingUnits: 1 });
      expect(creates(sim)).toHaveLength(0);
    } finally {
      await sim.close();
    }
  });
});
