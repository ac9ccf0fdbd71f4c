// Values workflow code needs, kept free of zod so the workflow bundle stays small.

/**
 * The poll schedule a generation uses unless its input sets `options.poll`: first check after 5 s, each wait × 1.5,
 * at most 10 s, so a finished video is noticed within 10 s of its end (Kling's guidance: poll every 5–10 s; it limits
 * concurrent tasks, not queries). With the waiting inside activity retries a check adds no history events.
 */
export const DEFAULT_POLL = { initialInterval: '5s', backoffCoefficient: 1.5, maxInterval: '10s' } as const;

/** Default task queue for workers and clients. */
export const DEFAULT_TASK_QUEUE = 'kling-video';

/**
 * Workflow ids double as Kling `external_task_id` prefixes, so they are limited to characters seen
 * accepted in external ids (letters, digits, `-`, `_`) and a modest length.
 */
export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$/;

/**
 * `<workflowId>-r<last 12 hex of the first run id>-<submission>`: unique per generation and per resubmission.
 * The tail, not the head: run ids are UUIDv7, whose leading digits are a timestamp shared by runs started
 * within the same minute, so a re-run of a closed id would otherwise adopt the previous run's task.
 */
export function externalTaskIdFor(workflowId: string, firstExecutionRunId: string, submission: number): string {
  return `${workflowId}-r${firstExecutionRunId.replace(/-/g, '').slice(-12)}-${submission}`;
}

/** Inverse of externalTaskIdFor: which workflow a callback belongs to. */
export function workflowIdFromExternalTaskId(externalTaskId: string): string | undefined {
  return /^(.+)-r[0-9a-f]{12}-\d+$/.exec(externalTaskId)?.[1];
}

/** Memo key under which every generation keeps its CostRecord (read by `kling-video costs`). */
export const COST_MEMO_KEY = 'klingCosts';

/** Memo key of a batch's counters (not COST_MEMO_KEY: its children record their own costs, counted once). */
export const BATCH_MEMO_KEY = 'klingBatch';

/** `<batchId>-<index>`: each item's own generateVideo workflow id. */
export function batchItemWorkflowId(batchId: string, index: number): string {
  return `${batchId}-${index}`;
}
