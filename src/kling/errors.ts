import { classifyUnknownCode, KLING_ERROR_CODES, type KlingErrorCategory } from './error-codes.js';

/** Base class of every error this client throws. `retryable` tells callers (and Temporal) whether to try again. */
export abstract class KlingError extends Error {
  abstract readonly retryable: boolean;
}

/** One problem in a request: the field path (e.g. `duration`, `cameraControl.config`) and the rule broken. */
export interface ValidationIssue {
  field: string;
  message: string;
}

/** The request was refused before anything was sent: nothing submitted, nothing charged. */
export class KlingValidationError extends KlingError {
  override readonly name = 'KlingValidationError';
  readonly retryable = false;
  constructor(readonly issues: ValidationIssue[]) {
    super(`Invalid Kling request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  }
}

/** Estimated cost exceeds the caller's budget; nothing was submitted. */
export class KlingBudgetExceededError extends KlingError {
  override readonly name = 'KlingBudgetExceededError';
  readonly retryable = false;
  constructor(
    readonly estimatedCredits: number,
    readonly maxCredits: number,
  ) {
    super(`maxCredits: ${budgetExceededReason(estimatedCredits, maxCredits)}`);
  }

  /** The issue under the field `maxCredits`: its message leaves the field out, so no rendering names it twice. */
  get issue(): ValidationIssue {
    return { field: 'maxCredits', message: budgetExceededReason(this.estimatedCredits, this.maxCredits) };
  }

  /**
   * What every report of this refusal carries (the workflow's BudgetExceeded failure, the CLI's error): which budget
   * (`maxCredits`, beside the daily budget's and the balance guard's) and the numbers.
   */
  get details(): { budget: 'maxCredits'; estimatedCredits: number; maxCredits: number } {
    return { budget: 'maxCredits', estimatedCredits: this.estimatedCredits, maxCredits: this.maxCredits };
  }
}

function budgetExceededReason(estimatedCredits: number, maxCredits: number): string {
  return `estimated cost ${estimatedCredits} credits exceeds the budget of ${maxCredits}; raise the budget or ask for a cheaper video (shorter, lower resolution, no audio)`;
}

/** Kling answered with a non-zero business code (or a non-2xx status). */
export class KlingApiError extends KlingError {
  override readonly name = 'KlingApiError';
  readonly retryable: boolean;
  readonly category: KlingErrorCategory;
  constructor(
    readonly httpStatus: number,
    readonly code: number | undefined,
    readonly apiMessage: string,
    readonly requestId: string | undefined,
  ) {
    const info = (code !== undefined && KLING_ERROR_CODES[code]) || classifyUnknownCode(httpStatus);
    super(`Kling API error HTTP ${httpStatus} code ${code ?? 'none'}: ${apiMessage}${requestId ? ` (request ${requestId})` : ''}`);
    this.retryable = info.retryable;
    this.category = info.category;
  }
}

/** The request never got a usable answer (connection refused or reset, DNS, TLS, timeout, malformed body). */
export class KlingNetworkError extends KlingError {
  override readonly name = 'KlingNetworkError';
  readonly retryable = true;
  constructor(
    message: string,
    /** True when a create may have reached Kling: look it up by external_task_id before re-sending. */
    readonly mayHaveReachedServer: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The configured credentials cannot serve this request (e.g. a new-standard-only model with only AK/SK). */
export class KlingCredentialsError extends KlingError {
  override readonly name = 'KlingCredentialsError';
  readonly retryable = false;
}
