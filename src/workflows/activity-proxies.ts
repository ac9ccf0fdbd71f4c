// Activity options of the generateVideo workflow, one proxy per activity (retry policies are part of the design:
// README "Failure types" describes them).
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { positiveDurationMs } from '../contract/duration.js';
import { NON_RETRYABLE_FAILURES } from '../contract/failure-types.js';
import type { AdoptVideoInput, GenerateVideoInput, GenerationPlan } from '../contract/generation.js';

type Activities = ReturnType<typeof createActivities>;
/** Only the activity timeouts: adoptVideo has no GenerationPlan, only these. */
type WithTimeouts = Pick<GenerationPlan, 'activityTimeoutsMs'>;

/**
 * Validation runs before the plan exists, so its timeout comes from the raw options (validation names a malformed one).
 * On a re-run of a workflow id it also asks Kling for the tasks earlier runs left (findEarlierRunTask): about a minute
 * of retries rides out a Kling hiccup instead of failing a generation that has spent nothing.
 */
export function validateActivity(input: GenerateVideoInput) {
  return proxyActivities<Activities>(validateOptions(input)).validateVideoRequest;
}

/** Validation's options, as a regular or a local activity. */
function validateOptions(input: GenerateVideoInput) {
  return {
    summary: 'validate request, estimate credits, lint prompt',
    startToCloseTimeout: positiveDurationMs(input.options?.activityTimeouts?.validateStartToClose) ?? '30 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '20 seconds',
      maximumAttempts: 7,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  };
}

/**
 * Validation as a local activity (runs since WAIT_IN_ACTIVITY_PATCH): the worker that runs the workflow task runs
 * it at once, so the history records one marker instead of an activity's three events and a workflow task. Same
 * timeout and about a minute of retries as validateActivity (a local activity's retries under a minute stay
 * inside the workflow task).
 */
export function validateLocalActivity(input: GenerateVideoInput) {
  return proxyLocalActivities<Activities>(validateOptions(input)).validateVideoRequest;
}

// Creating is idempotent (looked up by external id on retries), so transient errors and 1302/1303
// are retried patiently: slots free up when the account's other tasks finish. An unknown outcome is not
// retried (the activity throws it non-retryable): the workflow records it and looks the external id up before resubmitting (submission.ts).
// The timeouts below are the defaults; `options.activityTimeouts` (resolved into the plan) may shorten them.
export function submitActivity(plan: GenerationPlan) {
  return proxyActivities<Activities>({
    summary: 'submit to Kling',
    startToCloseTimeout: plan.activityTimeoutsMs?.submitStartToClose ?? '2 minutes',
    scheduleToCloseTimeout: '30 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
  }).submitVideoTask;
}

/** A lookup of a Kling task (by external id, or for adoption): five attempts within about 15 s ride out a hiccup. */
const LOOKUP_RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '20 seconds',
  maximumAttempts: 5,
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};

/** A lookup by external id after an unknown submission outcome. */
export function findTaskActivity(plan: GenerationPlan) {
  return proxyActivities<Activities>({
    summary: 'look the submission up by external id',
    startToCloseTimeout: plan.activityTimeoutsMs?.statusStartToClose ?? '30 seconds',
    retry: LOOKUP_RETRY,
  }).findVideoTask;
}

// On cancellation the workflow waits until the transfer has really stopped, so no object appears afterwards.
export function rehostActivity(plan: WithTimeouts) {
  return proxyActivities<Activities>({
    summary: 'download from Kling and rehost to storage',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    startToCloseTimeout: '1 hour',
    // Heartbeats come with every chunk: 30 s without a byte means a stalled CDN or a dead worker; retry.
    heartbeatTimeout: plan.activityTimeoutsMs?.rehostHeartbeat ?? '30 seconds',
    retry: {
      initialInterval: plan.activityTimeoutsMs?.rehostRetryInitialInterval ?? '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 8,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  }).rehostVideo;
}

/** adoptVideo's first step: validate the input, find the task, resolve durations and the object name. Nothing is created. */
export function adoptActivity(input: AdoptVideoInput) {
  return proxyActivities<Activities>({
    summary: 'look the Kling task up for adoption',
    startToCloseTimeout: positiveDurationMs(input.options?.activityTimeouts?.statusStartToClose) ?? '30 seconds',
    retry: LOOKUP_RETRY,
  }).planAdoption;
}

/** A status check may retry transient errors, but never past the deadline (plus a little grace). */
export function statusActivity(plan: WithTimeouts, remainingMs: number) {
  return proxyActivities<Activities>({
    summary: 'check Kling task status',
    startToCloseTimeout: plan.activityTimeoutsMs?.statusStartToClose ?? '30 seconds',
    scheduleToCloseTimeout: Math.max(remainingMs, 0) + 30_000,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
  }).getVideoTaskStatus;
}

/** The retry schedule of a wait in activity retries: the first check after `initialMs`, then × `coefficient` up to `maxMs`. */
export interface WaitSchedule {
  initialMs: number;
  coefficient: number;
  maxMs: number;
}

/**
 * Waiting for a status change inside activity retries (awaitVideoTaskChange): the retry policy IS the poll
 * schedule, attempts are unlimited and the nearest deadline is the scheduleToClose timeout, so the history
 * records the wait once, however many checks it takes. Cancelled (a callback or a batch's reading woke the
 * workflow) without waiting for an attempt in flight: its answer is no longer needed.
 */
export function awaitChangeActivity(plan: WithTimeouts, schedule: WaitSchedule, untilDeadlineMs: number) {
  // Temporal's retry policy cannot shrink its interval, nor cap it below the first one.
  const initialInterval = Math.max(1, Math.round(schedule.initialMs));
  return proxyActivities<Activities>({
    summary: 'wait for the Kling task to change status (one check per retry)',
    startToCloseTimeout: plan.activityTimeoutsMs?.statusStartToClose ?? '30 seconds',
    scheduleToCloseTimeout: Math.max(1, Math.round(untilDeadlineMs)),
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: {
      initialInterval,
      backoffCoefficient: Math.max(1, schedule.coefficient),
      maximumInterval: Math.max(initialInterval, Math.round(schedule.maxMs)),
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  }).awaitVideoTaskChange;
}

/** Before each paid submission: the balance guard (a no-op answer when the worker has it off) and the daily budget. */
export const { checkAccountBalance, reserveCredits } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});

/** generateBatch's checks and estimates before anything starts (nothing is submitted). */
export const { validateBatchOptions, estimateBatchItems } = proxyActivities<Activities>({
  summary: 'validate and estimate batch items (nothing is submitted)',
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});

/** generateBatch's status watcher (see watchBatchTasks). */
export const { watchBatchTasks } = proxyActivities<Activities>({
  summary: "look up the batch's in-flight tasks, 20 per query, and wake their items",
  // Runs as long as the batch; heartbeats at least every 5 s, so a dead worker is noticed within a minute.
  startToCloseTimeout: '30 days',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
