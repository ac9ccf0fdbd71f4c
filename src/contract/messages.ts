import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { GenerationProgress, TaskSnapshot } from './generation.js';

/** Current phase, Kling task, polls, elapsed time (bytes come from the transfer activity's heartbeats). */
export const progressQuery = defineQuery<GenerationProgress>('progress');

/**
 * What `klingTaskUpdated` carries. From the callback receiver: the status a Kling callback announced, a hint only
 * (the workflow checks it with one query before acting). From a batch's status watcher: also `snapshot`, what the
 * watcher read from Kling's task query for `taskId`, which the workflow uses instead of a query of its own.
 */
export interface TaskUpdate {
  status?: string;
  taskId?: string;
  snapshot?: TaskSnapshot;
}

/** Early wake-up for the poll loop: Kling callbacks and a batch's status watcher arrive through it. */
export const taskUpdatedSignal = defineSignal<[TaskUpdate?]>('klingTaskUpdated');

/** What an approver sends: who they are (required, recorded in the result and memo) and an optional note. */
export interface ApproveInput {
  by: string;
  note?: string;
}
/** A rejection names who rejected it and why. */
export interface RejectInput {
  by: string;
  reason: string;
}
/** The gate's decision, returned by both Updates. */
export interface ApprovalDecision {
  state: 'approved' | 'rejected';
  by: string;
  note?: string;
  reason?: string;
  estimatedCredits: number;
}

/** Approve a generation waiting at the approval gate. Refused (validator) when no approval is pending or `by` is empty. */
export const approveUpdate = defineUpdate<ApprovalDecision, [ApproveInput]>('approve');
/** Reject it: nothing is submitted, the workflow fails with ApprovalRejected. Same validator rules, plus a reason. */
export const rejectUpdate = defineUpdate<ApprovalDecision, [RejectInput]>('reject');
