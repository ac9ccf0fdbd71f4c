import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { SubmittedTask, TaskSnapshot } from '../contract/generation.js';
import { TASK_UNCHANGED, type TaskUnchangedDetails } from '../contract/wait.js';
import type { KlingClient } from '../kling/index.js';
import { toActivityFailure, type LimitRetryDelays } from './failures.js';
import type { RecentVideoUrls } from './recent-video-urls.js';
import { taskSnapshot } from './task-snapshot.js';

export interface AwaitTaskChangeInput {
  task: SubmittedTask;
  /** The status the workflow last saw (`submitted` before any): the wait returns as soon as Kling reports another. */
  knownStatus: TaskSnapshot['status'];
  /**
   * The first attempt only arms the schedule, without asking Kling: the first check then comes one retry interval
   * later, like the first check of a workflow-side poll loop, instead of right after the create.
   */
  firstCheckAfterInterval: boolean;
}

export interface AwaitTaskChangeResult {
  snapshot: TaskSnapshot;
  /** Status checks this wait made (its attempts, less the one that only armed the schedule). */
  checks: number;
}

/**
 * Waits for a Kling task's status to change, inside the activity's own retries (Temporal's "infrequent polling"):
 * each attempt is one status check that fails retryably with TASK_UNCHANGED while the status is the known one (or
 * the task is not visible yet), so the server schedules the next check after the retry policy's backoff, which is
 * the generation's poll schedule. Nothing is written to the workflow's history per check: only this activity's
 * schedule and its completion, once per status change. A transient Kling error is one more failed attempt; a
 * non-retryable one (credentials, a rejected request) ends the wait as it would a single status query.
 */
export async function awaitTaskChange(
  deps: { kling: KlingClient; delays: LimitRetryDelays; recentUrls?: RecentVideoUrls },
  input: AwaitTaskChangeInput,
): Promise<AwaitTaskChangeResult> {
  const { info, cancellationSignal: signal, log } = Context.current();
  const checks = input.firstCheckAfterInterval ? info.attempt - 1 : info.attempt;
  if (checks === 0) throw unchanged(input, undefined, checks);
  let current;
  try {
    current = await deps.kling.getTask(input.task, { signal });
  } catch (err) {
    throw toActivityFailure(err, deps.delays);
  }
  // Not visible yet (Kling's query can lag its create): the same as unchanged.
  if (!current) throw unchanged(input, 'unknown', checks);
  deps.recentUrls?.remember(current);
  const snapshot = await taskSnapshot(deps.kling, { ...current, standard: input.task.standard }, { signal, warn: (m, a) => log.warn(m, a) });
  if (snapshot.status === input.knownStatus && snapshot.status !== 'succeeded' && snapshot.status !== 'failed')
    throw unchanged(input, snapshot.status, checks);
  return { snapshot, checks };
}

function unchanged(input: AwaitTaskChangeInput, status: TaskSnapshot['status'] | undefined, checks: number): ApplicationFailure {
  const seen = status === undefined ? 'waiting for its first check' : status === 'unknown' ? 'not visible in Kling yet' : `still ${status}`;
  const details: TaskUnchangedDetails = { status, checks };
  return ApplicationFailure.create({
    type: TASK_UNCHANGED,
    message: `Kling task ${input.task.taskId} is ${seen} (${checks} checks in this wait); the next check follows the poll schedule`,
    details: [details],
    // Expected on every check but the last: logged at DEBUG and kept out of the SDK's failure metrics.
    category: ApplicationFailureCategory.BENIGN,
  });
}
