import { defineQuery } from '@temporalio/workflow';
import type { BatchProgress } from '../shared/batch.js';

/** Counters of a generateBatch run: succeeded, failed, skipped, in flight, waiting, slots per bucket, credits. */
export const batchProgressQuery = defineQuery<BatchProgress>('batchProgress');
