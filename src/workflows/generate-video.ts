import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  isCancellation,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { externalTaskIdFor } from '../shared/constants.js';
import { FailureType, NON_RETRYABLE_FAILURES } from '../shared/failure-types.js';
import type {
  GenerateVideoInput,
  GenerateVideoResult,
  GenerationPhase,
  GenerationPlan,
  SubmittedTask,
  TaskSnapshot,
} from '../shared/generation.js';
import { KlingModel, KlingPhase, KlingStatus, KlingTaskId } from '../shared/search-attributes.js';
import { progressQuery, taskUpdatedSignal } from './messages.js';
import { nextPollInterval } from './poll-schedule.js';

type Activities = ReturnType<typeof createActivities>;

const { validateVideoRequest } = proxyActivities<Activities>({
  summary: 'validate request, estimate credits, lint prompt',
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});

// Creating is idempotent (looked up by external id on retries), so transient errors and 1302/1303
// are retried patiently: slots free up when the account's other tasks finish.
// The timeouts below are the defaults; `options.activityTimeouts` (resolved into the plan) may shorten them.
function submitActivity(plan: GenerationPlan) {
  return proxyActivities<Activities>({
    summary: 'submit to Kling',
    startToCloseTimeout: plan.activityTimeoutsMs?.submitStartToClose ?? '2 minutes',
    scheduleToCloseTimeout: '30 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
  }).submitVideoTask;
}

// On cancellation the workflow waits until the transfer has really stopped, so no object appears afterwards.
function rehostActivity(plan: GenerationPlan) {
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

/** A status check may retry transient errors, but never past the deadline (plus a little grace). */
function statusActivity(plan: GenerationPlan, remainingMs: number) {
  return proxyActivities<Activities>({
    summary: 'check Kling task status',
    startToCloseTimeout: plan.activityTimeoutsMs?.statusStartToClose ?? '30 seconds',
    scheduleToCloseTimeout: Math.max(remainingMs, 0) + 30_000,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
  }).getVideoTaskStatus;
}

const CONTENT_POLICY = /risk|policy|moderat|sensitive|violat|inappropriate|prohibit/i;

/**
 * Durable Kling video generation: validate → submit → poll on workflow timers until a deadline →
 * download and rehost → permanent location. Fails only with typed, non-retryable ApplicationFailures
 * (see FailureType); survives worker crashes without creating a second paid task or a second object.
 */
export async function generateVideo(input: GenerateVideoInput): Promise<GenerateVideoResult> {
  const info = workflowInfo();
  const startedAt = Date.now();
  const timings = { validating: 0, submitting: 0, generating: 0, rehosting: 0, total: 0 };
  let phase: GenerationPhase = 'validating';
  let task: SubmittedTask | undefined;
  let snapshot: TaskSnapshot | undefined;
  let polls = 0;
  let submissions = 0;
  let deadlineAt: number | undefined;
  let wakeUp = false;

  setHandler(progressQuery, () => ({
    phase,
    klingTaskId: task?.taskId,
    externalTaskId: task?.externalTaskId,
    klingStatus: snapshot?.status,
    polls,
    submissions,
    elapsedMs: Date.now() - startedAt,
    deadlineAt,
  }));
  setHandler(taskUpdatedSignal, () => {
    wakeUp = true;
  });

  const enter = (next: GenerationPhase, details: string) => {
    phase = next;
    upsertSearchAttributes([{ key: KlingPhase, value: next }]);
    setCurrentDetails(`**${next}** — ${details}`);
  };
  const timed = async <T>(name: keyof typeof timings, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] += Date.now() - t0;
    }
  };

  try {
    enter('validating', 'checking the request against the model catalog and budget');
    const plan: GenerationPlan = await timed('validating', () => validateVideoRequest(input, { firstExecutionRunId: info.firstExecutionRunId }));
    upsertSearchAttributes([{ key: KlingModel, value: plan.model }]);

    for (;;) {
      submissions++;
      const externalTaskId = externalTaskIdFor(info.workflowId, info.firstExecutionRunId, submissions);
      enter('submitting', `submission ${submissions} as \`${externalTaskId}\` (${plan.model}, ${plan.estimate.credits} credits est.)`);
      task = await timed('submitting', () => submitActivity(plan)({ request: input.request, externalTaskId }));
      upsertSearchAttributes([{ key: KlingTaskId, value: task.taskId }]);
      if (deadlineAt === undefined) deadlineAt = Date.now() + plan.deadlineMs;

      enter('generating', `Kling task \`${task.taskId}\`, deadline ${new Date(deadlineAt).toISOString()}`);
      snapshot = await timed('generating', () => waitForTerminal(task!, plan, deadlineAt!));
      if (snapshot.status === 'succeeded') break;

      const message = snapshot.statusMessage ?? 'no reason given';
      const policy = CONTENT_POLICY.test(message);
      if (!policy && submissions <= plan.resubmitOnFailure) {
        log.warn('Kling task failed; resubmitting', { taskId: task.taskId, message, submissions });
        continue;
      }
      throw ApplicationFailure.create({
        type: FailureType.VideoGenerationFailed,
        message: `Kling task ${task.taskId} failed: ${message}`,
        nonRetryable: true,
        details: [{ taskId: task.taskId, externalTaskId: task.externalTaskId, statusMessage: message, contentPolicy: policy, submissions }],
      });
    }

    enter('rehosting', `downloading Kling task \`${task.taskId}\` into \`${plan.objectName}\``);
    const stored = await timed('rehosting', () =>
      rehostActivity(plan)({ task: task!, objectName: plan.objectName, plan, unitsDeducted: snapshot!.unitsDeducted }),
    );

    timings.total = Date.now() - startedAt;
    enter('completed', `stored at \`${stored.uri}\` (${stored.size} bytes)`);
    return {
      uri: stored.uri,
      url: stored.url,
      objectName: stored.objectName,
      size: stored.size,
      md5Base64: stored.md5Base64,
      crc32c: stored.crc32c,
      contentType: stored.contentType,
      klingTaskId: task.taskId,
      externalTaskId: task.externalTaskId,
      model: plan.model,
      standard: plan.standard,
      credits: {
        estimated: plan.estimate.credits,
        actual: snapshot.unitsDeducted === undefined ? undefined : snapshot.unitsDeducted * plan.estimate.creditsPerUnit,
      },
      submissions,
      polls,
      timingsMs: timings,
      lint: plan.lint,
    };
  } catch (err) {
    if (isCancellation(err)) throw err;
    phase = 'failed';
    await CancellationScope.nonCancellable(async () => {
      upsertSearchAttributes([{ key: KlingPhase, value: 'failed' }]);
    });
    throw toWorkflowFailure(err);
  }

  /** The poll loop: one short status activity, then a durable timer (or an early wake-up signal). */
  async function waitForTerminal(submitted: SubmittedTask, plan: GenerationPlan, deadline: number): Promise<TaskSnapshot> {
    let interval = plan.poll.initialMs;
    for (;;) {
      wakeUp = false;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw timedOut(submitted, deadline);
      await condition(() => wakeUp, Math.min(interval, remaining));
      interval = nextPollInterval(interval, plan.poll.backoffCoefficient, plan.poll.maxMs);

      let current: TaskSnapshot;
      try {
        current = await statusActivity(plan, deadline - Date.now())(submitted);
      } catch (err) {
        // Kling unreachable until past the deadline: report the timeout, with the cause.
        if (err instanceof ActivityFailure && Date.now() >= deadline) throw timedOut(submitted, deadline, err);
        throw err;
      }
      polls++;
      if (current.status !== snapshot?.status) {
        upsertSearchAttributes([{ key: KlingStatus, value: current.status }]);
        setCurrentDetails(`**generating** — Kling task \`${submitted.taskId}\` is ${current.status} after ${polls} polls`);
      }
      snapshot = current;
      if (current.status === 'succeeded' || current.status === 'failed') return current;
    }
  }

  function timedOut(submitted: SubmittedTask, deadline: number, cause?: Error): ApplicationFailure {
    return ApplicationFailure.create({
      type: FailureType.VideoGenerationTimedOut,
      message: `Kling task ${submitted.taskId} did not finish by the deadline (${new Date(deadline).toISOString()}); last status ${snapshot?.status ?? 'unknown'}. It may still finish and be billed: the task stays collectable by id.`,
      nonRetryable: true,
      details: [{ taskId: submitted.taskId, externalTaskId: submitted.externalTaskId, lastStatus: snapshot?.status, polls }],
      cause,
    });
  }
}

/** Surfaces an activity's typed failure as the workflow's own, so callers read `err.cause.type` directly. */
function toWorkflowFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    return ApplicationFailure.create({ type: cause.type ?? FailureType.KlingUnavailable, message: cause.message, nonRetryable: true, details: cause.details as unknown[], cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ type: FailureType.KlingUnavailable, message, nonRetryable: true, cause: err instanceof Error ? err : undefined });
}
