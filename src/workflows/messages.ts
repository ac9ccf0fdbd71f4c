import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { GenerationProgress } from '../shared/generation.js';

/** Current phase, Kling task, polls, elapsed time (bytes come from the transfer activity's heartbeats). */
export const progressQuery = defineQuery<GenerationProgress>('progress');

/**
 * Early wake-up for the poll loop (Kling callbacks arrive through it). A hint only: the workflow checks
 * the status with one query before acting on it.
 */
export const taskUpdatedSignal = defineSignal<[{ status?: string; taskId?: string }?]>('klingTaskUpdated');

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
