import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../shared/failure-types.js';

/** Surfaces an activity's typed failure as the workflow's own, so callers read `err.cause.type` directly. */
export function toWorkflowFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    return ApplicationFailure.create({ type: cause.type ?? FailureType.KlingUnavailable, message: cause.message, nonRetryable: true, details: cause.details as unknown[], cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ type: FailureType.KlingUnavailable, message, nonRetryable: true, cause: err instanceof Error ? err : undefined });
}
