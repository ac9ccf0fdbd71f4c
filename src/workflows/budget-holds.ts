import { ApplicationFailure, getExternalWorkflowHandle, log } from '@temporalio/workflow';
import { FailureType } from '../contract/failure-types.js';
import type { GenerationPlan } from '../contract/generation.js';
import { reserveCredits } from './activity-proxies.js';
import { creditBudgetWorkflowId, releaseCreditsSignal, settleCreditsSignal } from '../contract/credit-budget-messages.js';

const DAY_MS = 24 * 60 * 60 * 1000;

// A per-batch budget belongs to generateBatch (issue 8, not built yet): it would reserve the batch's total here
// once, before its first submission, and settle per video.

/**
 * This generation's holds on its task queue's rolling daily budget (the `creditBudget` entity): one reservation
 * per submission, made before the create; settled with Kling's reported deduction when the task ends (the
 * estimate stays when Kling reported none), released when nothing was submitted. Every hold is closed by the
 * time the workflow ends, so none can pin the budget forever.
 */
export class BudgetHolds {
  readonly #open = new Map<string, { submitted: boolean }>();
  readonly #budgetWorkflowId: string;

  constructor(
    private readonly taskQueue: string,
    private readonly workflowId: string,
  ) {
    this.#budgetWorkflowId = creditBudgetWorkflowId(taskQueue);
  }

  /** Reserves the estimate, or throws BudgetExceeded naming the budget and the numbers. No-op without a daily budget. */
  async reserve(plan: GenerationPlan, key: string): Promise<void> {
    const limit = plan.dailyCreditBudget;
    if (limit === undefined) return;
    // Opened before the call: a cancellation mid-Update still releases whatever the entity recorded.
    this.#open.set(key, { submitted: false });
    const decision = await reserveCredits({
      taskQueue: this.taskQueue,
      reservation: { key, workflowId: this.workflowId, credits: plan.estimate.credits, limitCredits: limit, windowMs: DAY_MS },
    });
    if (decision.granted) return;
    this.#open.delete(key);
    const message =
      `dailyCreditBudget: the estimate of ${decision.requestedCredits} credits exceeds what is left of task queue "${this.taskQueue}"'s rolling 24 h budget ` +
      `(${decision.usedCredits} of ${decision.limitCredits} credits used or reserved, ${decision.remainingCredits} left); nothing was submitted`;
    throw ApplicationFailure.create({
      type: FailureType.BudgetExceeded,
      message,
      nonRetryable: true,
      details: [{ ...decision, taskQueue: this.taskQueue, issues: [{ field: 'dailyCreditBudget', message }] }],
    });
  }

  /** The create for `key` went out (a task exists or may exist): closing it keeps the spend. */
  submitted(key: string): void {
    const hold = this.#open.get(key);
    if (hold) hold.submitted = true;
  }

  /** The task ended: record what Kling reported (credits), or keep the estimate when it reported nothing. */
  async settle(key: string, actualCredits: number | undefined): Promise<void> {
    if (!this.#open.delete(key)) return;
    await this.#signal(() => getExternalWorkflowHandle(this.#budgetWorkflowId).signal(settleCreditsSignal, { key, actualCredits }));
  }

  /** At the end: settle what was submitted (estimate kept), release what was not. */
  async closeAll(): Promise<void> {
    for (const [key, hold] of [...this.#open]) {
      this.#open.delete(key);
      await this.#signal(() =>
        hold.submitted
          ? getExternalWorkflowHandle(this.#budgetWorkflowId).signal(settleCreditsSignal, { key })
          : getExternalWorkflowHandle(this.#budgetWorkflowId).signal(releaseCreditsSignal, { key }),
      );
    }
  }

  async #signal(send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      // The entity is gone (terminated by an operator): nothing left to keep consistent.
      log.warn('could not update the credit budget', {
        budgetWorkflowId: this.#budgetWorkflowId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
