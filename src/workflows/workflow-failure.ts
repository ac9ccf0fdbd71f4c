import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../contract/failure-types.js';
import type { GenerationOutcome } from '../contract/outcome.js';

/** Surfaces an activity's typed failure as the workflow's own, so callers read `err.cause.type` directly. */
export function toWorkflowFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    return ApplicationFailure.create({
      type: cause.type ?? FailureType.KlingUnavailable,
      message: cause.message,
      nonRetryable: true,
      details: cause.details as unknown[],
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    type: FailureType.KlingUnavailable,
    message,
    nonRetryable: true,
    cause: err instanceof Error ? err : undefined,
  });
}

/** What a generation knows of a Kling task that a create may have produced. */
export interface TaskReference {
  externalTaskId: string;
  taskId?: string;
  standard: 'legacy' | 'new';
  kind: string;
}

/**
 * A failure raised after a create may have reached Kling: the task may exist and be billed, so the failure
 * carries the external id, the task id when known and a ready adoptVideo input (`details[0].adopt`), and its
 * message says how to collect the task instead of paying for a new one. Details already there are kept.
 */
export function withTaskReference(failure: ApplicationFailure, ref: TaskReference): ApplicationFailure {
  const first = failure.details?.[0];
  const own = first !== null && typeof first === 'object' && !Array.isArray(first) ? (first as Record<string, unknown>) : {};
  const adopt = ref.taskId
    ? { taskId: ref.taskId, standard: ref.standard, kind: ref.kind }
    : { externalTaskId: ref.externalTaskId, standard: ref.standard, kind: ref.kind };
  const details = [
    { externalTaskId: ref.externalTaskId, ...(ref.taskId ? { taskId: ref.taskId } : {}), adopt, ...own },
    ...(failure.details ?? []).slice(first === undefined ? 0 : 1),
  ];
  // A failed task cannot be collected; a message that already names the adopt command needs no second hint.
  const hint =
    failure.type === FailureType.VideoGenerationFailed || failure.message.includes('kling-video adopt')
      ? ''
      : ref.taskId
        ? ` Kling task ${ref.taskId} may still finish and be billed: collect it with \`kling-video adopt ${ref.taskId}\` (or adoptVideo with the \`adopt\` detail) instead of starting a new generation.`
        : ` A Kling task with external id ${ref.externalTaskId} may exist and be billed: collect it with \`kling-video adopt ${ref.externalTaskId} --by external-id\` (or adoptVideo with the \`adopt\` detail) instead of starting a new generation.`;
  return ApplicationFailure.create({
    type: failure.type ?? FailureType.KlingUnavailable,
    message: `${failure.message}${hint}`,
    nonRetryable: true,
    details,
    cause: failure.cause,
  });
}

/** The outcome a workflow failure records. `submitted`: a Kling task of this generation exists. */
export function outcomeOf(failure: ApplicationFailure, submitted: boolean): GenerationOutcome {
  switch (failure.type) {
    case FailureType.InvalidVideoRequest:
    case FailureType.PromptRejected:
    case FailureType.KlingTaskNotFound:
      return 'invalid';
    case FailureType.BudgetExceeded:
      return 'budget_refused';
    case FailureType.ApprovalRejected:
      return 'approval_rejected';
    case FailureType.VideoGenerationFailed:
      return 'failed';
    case FailureType.VideoGenerationTimedOut:
    case FailureType.VideoQueuedTooLong:
    case FailureType.VideoProcessingTooLong:
      return 'timed_out';
    case FailureType.ContentPolicyViolation:
    case FailureType.KlingRequestRejected:
    case FailureType.KlingCredentialsRejected:
      return submitted ? 'error' : 'refused';
    default:
      return 'error';
  }
}
