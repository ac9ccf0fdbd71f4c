import type { TaskSnapshot } from './generation.js';

/**
 * The retryable failure type of a status check that found the task unchanged (awaitVideoTaskChange). It never
 * ends a workflow: the wait's retry policy is the poll schedule, so the next attempt is the next check. The Web
 * UI shows it, with the attempt count, as the pending activity's last failure.
 */
export const TASK_UNCHANGED = 'KlingTaskUnchanged';

/** What a TASK_UNCHANGED failure carries: the workflow reads the last one when a wait ends at a deadline. */
export interface TaskUnchangedDetails {
  /** What the last check saw (`unknown`: not visible in Kling yet); absent before the first check. */
  status?: TaskSnapshot['status'];
  /** Status checks made in this wait so far. */
  checks: number;
}
