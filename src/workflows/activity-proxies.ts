// Activity options of the generateVideo workflow, one proxy per activity (retry policies are part of the design:
// README "Failure types" describes them).
import { msToNumber } from '@temporalio/common/lib/time.js';
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
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
  return proxyActivities<Activities>({
    summary: 'validate request, estimate credits, lint prompt',
    startToCloseTimeout: rawDurationMs(input.options?.activityTimeouts?.validateStartToClose) ?? '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 7, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
  }).validateVideoRequest;
}

function rawDurationMs(value: unknown): number | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  try {
    const ms = msToNumber(value as never);
    return ms > 0 ? ms : undefined;
  } catch {
    return undefined;
  }
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

/** A lookup by external id after an unknown submission outcome. */
export function findTaskActivity(plan: GenerationPlan) {
  return proxyActivities<Activities>({
    summary: 'look the submission up by external id',
    startToCloseTimeout: plan.activityTimeoutsMs?.statusStartToClose ?? '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
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
    startToCloseTimeout: rawDurationMs(input.options?.activityTimeouts?.statusStartToClose) ?? '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
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

/** Before each paid submission: the balance guard (a no-op answer when the worker has it off) and the daily budget. */
export const { checkAccountBalance, reserveCredits } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});
