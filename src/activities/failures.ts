import { ApplicationFailure } from '@temporalio/common';
import {
  KlingApiError,
  KlingBudgetExceededError,
  KlingCredentialsError,
  KlingNetworkError,
  KlingValidationError,
  PriceNotFoundError,
  PromptLintError,
} from '../kling/index.js';
import { FailureType } from '../contract/failure-types.js';

/** Delay before retrying a rate (1302) or concurrency (1303) limit; Kling asks for backoff from ≥ 1 s (docs/reference/kling-api.md §5). */
export interface LimitRetryDelays {
  rateLimitMs: number;
  concurrencyLimitMs: number;
}
export const DEFAULT_LIMIT_RETRY_DELAYS: LimitRetryDelays = { rateLimitMs: 2_000, concurrencyLimitMs: 10_000 };

/**
 * Maps client errors to typed ApplicationFailures: business and input errors are non-retryable,
 * transient ones retryable (1302/1303 with a delay that gives the account's slots time to free up).
 * Messages come from the client, which never includes credentials.
 */
export function toActivityFailure(err: unknown, delays: LimitRetryDelays = DEFAULT_LIMIT_RETRY_DELAYS): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof KlingValidationError)
    return ApplicationFailure.create({
      type: FailureType.InvalidVideoRequest,
      message: err.message,
      nonRetryable: true,
      details: [{ issues: err.issues }],
    });
  if (err instanceof KlingBudgetExceededError)
    return ApplicationFailure.create({
      type: FailureType.BudgetExceeded,
      message: err.message,
      nonRetryable: true,
      details: [{ ...err.details, issues: [err.issue] }],
    });
  if (err instanceof PriceNotFoundError)
    return ApplicationFailure.create({
      type: FailureType.InvalidVideoRequest,
      message: err.message,
      nonRetryable: true,
      details: [{ issues: [{ field: 'model', message: err.message }] }],
    });
  if (err instanceof PromptLintError)
    return ApplicationFailure.create({ type: FailureType.PromptRejected, message: err.message, nonRetryable: true, details: [{ lint: err.report }] });
  if (err instanceof KlingCredentialsError)
    return ApplicationFailure.create({ type: FailureType.KlingCredentialsRejected, message: err.message, nonRetryable: true });
  if (err instanceof KlingApiError) {
    const details = [{ httpStatus: err.httpStatus, code: err.code, requestId: err.requestId, apiMessage: err.apiMessage }];
    if (err.retryable) {
      const delay = err.code === 1302 ? delays.rateLimitMs : err.code === 1303 ? delays.concurrencyLimitMs : undefined;
      return ApplicationFailure.create({ type: FailureType.KlingUnavailable, message: err.message, details, nextRetryDelay: delay });
    }
    const type =
      err.category === 'content-policy'
        ? FailureType.ContentPolicyViolation
        : err.category === 'auth'
          ? FailureType.KlingCredentialsRejected
          : FailureType.KlingRequestRejected;
    return ApplicationFailure.create({ type, message: err.message, nonRetryable: true, details });
  }
  if (err instanceof KlingNetworkError)
    return ApplicationFailure.create({
      type: FailureType.KlingUnavailable,
      message: err.message,
      details: [{ mayHaveReachedServer: err.mayHaveReachedServer }],
    });
  return ApplicationFailure.create({ type: FailureType.KlingUnavailable, message: err instanceof Error ? err.message : String(err) });
}
