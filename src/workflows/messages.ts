import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GenerationProgress } from '../shared/generation.js';

/** Current phase, Kling task, polls, elapsed time (bytes come from the transfer activity's heartbeats). */
export const progressQuery = defineQuery<GenerationProgress>('progress');

/**
 * Early wake-up for the poll loop (Kling callbacks arrive through it). A hint only: the workflow checks
 * the status with one query before acting on it.
 */
export const taskUpdatedSignal = defineSignal<[{ status?: string; taskId?: string }?]>('klingTaskUpdated');
