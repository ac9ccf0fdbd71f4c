import type { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../contract/failure-types.js';
import type { GenerationOutcome } from '../contract/outcome.js';

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
