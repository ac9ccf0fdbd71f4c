import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** One rolling window per task queue: the entity workflow that guards it has this id. */
export function creditBudgetWorkflowId(taskQueue: string): string {
  return `kling-credit-budget-${taskQueue}`;
}

/** The workflow type of the budget entity (started by name from an activity, see src/activities/credit-budget.ts). */
export const CREDIT_BUDGET_WORKFLOW_TYPE = 'creditBudget';

/** A request to hold `credits` of the rolling budget for one submission (`key` = generation run + submission). */
export interface CreditReservation {
  key: string;
  workflowId: string;
  credits: number;
  /** The budget the caller enforces; the entity keeps the ledger, the caller names the limit. */
  limitCredits: number;
  windowMs: number;
}

/** The entity's answer: granted or not, with the numbers a refusal names. */
export interface CreditDecision {
  granted: boolean;
  budget: 'dailyCreditBudget';
  limitCredits: number;
  windowMs: number;
  /** Credits held or spent in the window before this request (this request excluded). */
  usedCredits: number;
  requestedCredits: number;
  remainingCredits: number;
}

export interface CreditBudgetEntry {
  key: string;
  workflowId: string;
  credits: number;
  /** When the reservation was made (workflow time, ms). */
  at: number;
  /** `reserved` holds the estimate until the actual is known; `settled` carries what Kling deducted. */
  state: 'reserved' | 'settled';
}

export interface CreditBudgetState {
  entries: CreditBudgetEntry[];
  /** Longest window any caller asked for: settled entries are kept that long. */
  windowMs: number;
}

/** Reserve (idempotent per `key`): refuses with the numbers when the window has too little left. */
export const reserveCreditsUpdate = defineUpdate<CreditDecision, [CreditReservation]>('reserve');
/** The task ended: replace the reservation by what Kling reported (the estimate stays when it reported nothing). */
export const settleCreditsSignal = defineSignal<[{ key: string; actualCredits?: number }]>('settle');
/** Nothing was spent (cancelled or refused before the create): drop the reservation. */
export const releaseCreditsSignal = defineSignal<[{ key: string }]>('release');
export const creditBudgetQuery = defineQuery<CreditBudgetState & { usedCredits: number }>('budget');
