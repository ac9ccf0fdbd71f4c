/**
 * `ApplicationFailure.type` values the generateVideo workflow fails with. Plain constants so workflow
 * code, activities and callers share one spelling. Every one of them is non-retryable at the workflow level.
 */
export const FailureType = {
  /** The request broke a rule (schema, catalog, exclusivity, object name…); `details[0].issues` names each field. Nothing was submitted. */
  InvalidVideoRequest: 'InvalidVideoRequest',
  /**
   * A budget refused the spend before submission: the estimate exceeds `maxCredits`, the rolling daily budget of the
   * task queue (`dailyCreditBudget`) has too little left, or the balance guard found too few units. `details[0]` has
   * `budget` (`maxCredits` | `dailyCreditBudget` | `balance`) and the numbers. Nothing was submitted.
   */
  BudgetExceeded: 'BudgetExceeded',
  /** The approval gate rejected the generation (`details[0].by`, `reason`) or its approval timed out. Nothing was submitted. */
  ApprovalRejected: 'ApprovalRejected',
  /** Strict prompt lint refused the prompt. Nothing was submitted. */
  PromptRejected: 'PromptRejected',
  /**
   * Kling reported the task `failed`; `details[0].statusMessage` carries Kling's reason, `details[0].unitsDeducted`
   * what Kling reported deducting for it (`null` when it reported nothing: never assumed to be zero).
   */
  VideoGenerationFailed: 'VideoGenerationFailed',
  /**
   * The task did not finish before the overall `deadline`. It may still finish (and be billed) on Kling's side:
   * `details[0]` has `taskId`, `externalTaskId`, `lastStatus`, `deadline: 'overall'` and `adopt` (a ready-made
   * adoptVideo input); the message names the `kling-video adopt <taskId>` command that collects it later.
   */
  VideoGenerationTimedOut: 'VideoGenerationTimedOut',
  /** The task was still `submitted` (queued at Kling) when `queuedDeadline` passed. Same details as VideoGenerationTimedOut, `deadline: 'queued'`. */
  VideoQueuedTooLong: 'VideoQueuedTooLong',
  /** The task was still `processing` `processingDeadline` after it started. Same details as VideoGenerationTimedOut, `deadline: 'processing'`. */
  VideoProcessingTooLong: 'VideoProcessingTooLong',
  /**
   * adoptVideo: Kling knows no task with the given id where it looked. `details[0].issues` names the field
   * (`taskId`, `externalTaskId` or `id`), `details[0].lookedIn` lists the standards and families searched, and
   * `details[0].skipped` (when present) those the worker has no credentials for (e.g. the new standard with only AK/SK).
   */
  KlingTaskNotFound: 'KlingTaskNotFound',
  /** Kling's CDN answered 403/404: the temporary video URL expired before it could be downloaded. */
  VideoUrlExpired: 'VideoUrlExpired',
  /** The download could not be verified (wrong content type, size over the bound, truncated body). */
  VideoDownloadInvalid: 'VideoDownloadInvalid',
  /** The video URL (or a redirect) is not an allowed source: host not on the allow-list, not https, or a private address. `details[0]` has `reason` and `host`. */
  VideoSourceRefused: 'VideoSourceRefused',
  /** Kling refused the request permanently (400-family, 1100–1102, 1300/1301, 1304). */
  KlingRequestRejected: 'KlingRequestRejected',
  /** Kling's content policy refused the input (1300/1301). */
  ContentPolicyViolation: 'ContentPolicyViolation',
  /** The configured credentials were refused or cannot call this model. */
  KlingCredentialsRejected: 'KlingCredentialsRejected',
  /** Transient Kling trouble (5xx, network, 1302/1303); retried by activities, surfaced only when retries run out. */
  KlingUnavailable: 'KlingUnavailable',
  /** The stored object does not match what was downloaded, or an object with other bytes already holds the name. */
  StorageVerificationFailed: 'StorageVerificationFailed',
  /**
   * The storage bucket does not exist (GCS_BUCKET on GCS_API_ENDPOINT): a storage configuration problem, not a Kling
   * outage, so not retried. `details[0].bucket` names it. The Kling task, already paid, can be collected with
   * `kling-video adopt <taskId>` once the bucket exists (while its video URL is valid).
   */
  StorageBucketNotFound: 'StorageBucketNotFound',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failure types that activities must never retry. */
export const NON_RETRYABLE_FAILURES: FailureType[] = [
  FailureType.InvalidVideoRequest,
  FailureType.KlingTaskNotFound,
  FailureType.BudgetExceeded,
  FailureType.ApprovalRejected,
  FailureType.PromptRejected,
  FailureType.VideoUrlExpired,
  FailureType.VideoDownloadInvalid,
  FailureType.VideoSourceRefused,
  FailureType.KlingRequestRejected,
  FailureType.ContentPolicyViolation,
  FailureType.KlingCredentialsRejected,
  FailureType.StorageVerificationFailed,
  FailureType.StorageBucketNotFound,
];

/**
 * Internal to the submit activity and the workflow (never a workflow failure): the create call's outcome is
 * unknown (timed out, connection lost or 5xx after sending) and a lookup by external id found nothing yet. The
 * workflow records "submission unknown" and looks the external id up again before any resubmission.
 */
export const SUBMISSION_UNKNOWN = 'KlingSubmissionUnknown';
