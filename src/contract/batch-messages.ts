import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BatchProgress } from './batch.js';

/** Counters of a generateBatch run: succeeded, failed, skipped, in flight, waiting, slots per bucket, credits. */
export const batchProgressQuery = defineQuery<BatchProgress>('batchProgress');

/** An in-flight item whose task the batch's watcher looks up (by the external id of its first submission). */
export interface TrackedBatchTask {
  workflowId: string;
  externalTaskId: string;
}

/** What the batch's status watcher looks up on its next tick (a query: nothing is written to the batch's history). */
export const batchTrackedTasksQuery = defineQuery<TrackedBatchTask[]>('batchTrackedTasks');

/**
 * Sent by an item to its batch when its Kling task succeeded, before the rehost: Kling frees the concurrency slot
 * when the task ends, so the batch can start the next item in that bucket while this one is still downloading.
 */
export const batchItemTaskEndedSignal = defineSignal<[{ workflowId: string }]>('batchItemTaskEnded');
