/** Default task queue for workers and clients. */
export const DEFAULT_TASK_QUEUE = 'kling-video';

/**
 * Workflow ids double as Kling `external_task_id` prefixes, so they are limited to characters seen
 * accepted in external ids (letters, digits, `-`, `_`) and a modest length.
 */
export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$/;

/** `<workflowId>-r<first 8 of the first run id>-<submission>`: unique per generation and per resubmission. */
export function externalTaskIdFor(workflowId: string, firstExecutionRunId: string, submission: number): string {
  return `${workflowId}-r${firstExecutionRunId.replace(/-/g, '').slice(0, 8)}-${submission}`;
}

/** Inverse of externalTaskIdFor: which workflow a callback belongs to. */
export function workflowIdFromExternalTaskId(externalTaskId: string): string | undefined {
  return /^(.+)-r[0-9a-f]{8}-\d+$/.exec(externalTaskId)?.[1];
}
