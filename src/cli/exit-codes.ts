import { WorkflowFailedError } from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  NamespaceNotFoundError,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowNotFoundError,
} from '@temporalio/common';
import { KlingBudgetExceededError, KlingValidationError, PromptLintError, type ValidationIssue } from '../kling/index.js';
import { FailureType } from '../contract/failure-types.js';
import { StorageBucketNotFoundError } from '../storage/errors.js';
import { isIdempotencyConflict } from '../idempotency.js';

/** Process exit codes of `kling-video` (documented in docs/cli.md). */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** Unexpected internal error (a bug). */
  Internal: 1,
  /** Invalid input: a bad flag, request file or request (every issue names its field), an unknown workflow id. Nothing was submitted. */
  InvalidInput: 2,
  /** The generation failed: Kling reported the task failed or refused it (content policy, other permanent refusals). */
  GenerationFailed: 3,
  /** The generation did not finish before a deadline (overall, queued or processing). The Kling task may still finish (and be billed): `kling-video adopt <task id>` collects it. */
  TimedOut: 4,
  /** Infrastructure: Temporal or Kling unreachable, credentials refused, download or storage trouble. */
  Infrastructure: 5,
  /** The workflow was cancelled or terminated. */
  Cancelled: 6,
  /** The workflow id (the idempotency key) is already used by a different request. Nothing was started or submitted. */
  IdempotencyConflict: 7,
  /**
   * Temporal connection configuration: nothing answers at the address (or TLS / the API key is refused), the
   * namespace does not exist there, or the profile / config file cannot be used. Nothing was started.
   */
  TemporalConfiguration: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Failure type → exit code. Every FailureType is listed (the compiler checks the record is complete). */
export const FAILURE_EXIT_CODES: Record<FailureType, ExitCode> = {
  [FailureType.InvalidVideoRequest]: ExitCode.InvalidInput,
  [FailureType.BudgetExceeded]: ExitCode.InvalidInput,
  // Stopped by a person's decision (or its timeout) before anything was submitted: like a cancellation.
  [FailureType.ApprovalRejected]: ExitCode.Cancelled,
  [FailureType.PromptRejected]: ExitCode.InvalidInput,
  [FailureType.VideoGenerationFailed]: ExitCode.GenerationFailed,
  [FailureType.ContentPolicyViolation]: ExitCode.GenerationFailed,
  [FailureType.KlingRequestRejected]: ExitCode.GenerationFailed,
  [FailureType.VideoGenerationTimedOut]: ExitCode.TimedOut,
  [FailureType.VideoQueuedTooLong]: ExitCode.TimedOut,
  [FailureType.VideoProcessingTooLong]: ExitCode.TimedOut,
  // adoptVideo was given an id Kling does not know: nothing to collect.
  [FailureType.KlingTaskNotFound]: ExitCode.InvalidInput,
  [FailureType.KlingCredentialsRejected]: ExitCode.Infrastructure,
  [FailureType.KlingUnavailable]: ExitCode.Infrastructure,
  [FailureType.VideoUrlExpired]: ExitCode.Infrastructure,
  [FailureType.VideoDownloadInvalid]: ExitCode.Infrastructure,
  [FailureType.VideoSourceRefused]: ExitCode.Infrastructure,
  [FailureType.StorageVerificationFailed]: ExitCode.Infrastructure,
  [FailureType.StorageBucketNotFound]: ExitCode.Infrastructure,
};

/** The `error` object of every `--json` error output. */
export interface CliErrorJson {
  exitCode: ExitCode;
  /** A FailureType, or `InvalidInput`, `WorkflowNotFound`, `Cancelled`, `Infrastructure`, `Internal`. */
  type: string;
  message: string;
  /** Field-named problems (invalid input). */
  issues?: ValidationIssue[];
  /** The failure's details (e.g. Kling's `statusMessage`, the timed-out `taskId`). */
  details?: unknown;
}

/** An error the CLI reports with a given exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    readonly type: string,
    message: string,
    readonly issues?: ValidationIssue[],
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The workflow the error is about, when there is one (printed next to the error). */
  workflowId?: string;

  static invalid(issues: ValidationIssue[]): CliError {
    return new CliError(ExitCode.InvalidInput, 'InvalidInput', `Invalid input: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
  }

  toJSON(): CliErrorJson {
    return {
      exitCode: this.exitCode,
      type: this.type,
      message: this.message,
      ...(this.issues ? { issues: this.issues } : {}),
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

function isFailureType(type: string | undefined | null): type is FailureType {
  return typeof type === 'string' && type in FAILURE_EXIT_CODES;
}

/** Where a command connected: named by configuration errors. */
export interface TemporalTarget {
  address: string;
  namespace: string;
}

/** The namespace does not exist at the address: a configuration error (exit 8) saying what to do next. */
export function namespaceNotFound(namespace: string, target?: TemporalTarget): CliError {
  const where = target ? ` on the Temporal server at ${target.address}` : '';
  return new CliError(
    ExitCode.TemporalConfiguration,
    'NamespaceNotFound',
    `namespace "${namespace}" does not exist${where}: set --namespace or TEMPORAL_NAMESPACE (or the profile's namespace) to an existing one, ` +
      `or create it (\`temporal operator namespace create --namespace ${namespace}\`)`,
    undefined,
    { namespace, ...(target ? { address: target.address } : {}) },
  );
}

/**
 * Turns anything thrown by a command into a CliError with the right exit code. `target` (where the command
 * connected) lets a namespace-not-found error name the address.
 */
export function toCliError(err: unknown, target?: TemporalTarget): CliError {
  if (err instanceof CliError) {
    const details = err.details as { namespace?: string; address?: string } | undefined;
    return err.type === 'NamespaceNotFound' && target && details?.namespace && !details.address ? namespaceNotFound(details.namespace, target) : err;
  }
  if (err instanceof NamespaceNotFoundError) return namespaceNotFound(err.namespace, target);
  if (err instanceof KlingValidationError) return CliError.invalid(err.issues);
  // `kling-video worker` refusing to start on a missing bucket: the workflow failure's type and exit code.
  if (err instanceof StorageBucketNotFoundError)
    return new CliError(FAILURE_EXIT_CODES[FailureType.StorageBucketNotFound], FailureType.StorageBucketNotFound, err.message, undefined, {
      bucket: err.bucket,
    });
  // The client's local validation refuses an estimate over `maxCredits` before starting anything: the same type,
  // exit code, issue and details as the workflow's BudgetExceeded failure.
  if (err instanceof KlingBudgetExceededError)
    return new CliError(FAILURE_EXIT_CODES[FailureType.BudgetExceeded], FailureType.BudgetExceeded, err.message, [err.issue], err.details);
  // Strict lint refuses the prompt locally too (the client runs the worker's validation): the workflow's PromptRejected.
  if (err instanceof PromptLintError)
    return new CliError(
      FAILURE_EXIT_CODES[FailureType.PromptRejected],
      FailureType.PromptRejected,
      err.message,
      [{ field: 'prompt', message: err.message.replace(/^prompt: /, '') }],
      { score: err.report.score, minScore: err.minScore, suggestions: err.report.suggestions },
    );
  if (isIdempotencyConflict(err))
    return new CliError(ExitCode.IdempotencyConflict, 'IdempotencyConflict', err.message, undefined, {
      workflowId: err.workflowId,
      differingFields: err.differingFields,
      existingStatus: err.existingStatus,
    });
  if (err instanceof WorkflowNotFoundError) return new CliError(ExitCode.InvalidInput, 'WorkflowNotFound', err.message);
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && isFailureType(cause.type)) {
      const detail = cause.details?.[0] as { issues?: ValidationIssue[] } | undefined;
      return new CliError(FAILURE_EXIT_CODES[cause.type], cause.type, cause.message, detail?.issues, cause.details?.[0]);
    }
    if (cause instanceof CancelledFailure) return new CliError(ExitCode.Cancelled, 'Cancelled', 'the workflow was cancelled');
    if (cause instanceof TerminatedFailure) return new CliError(ExitCode.Cancelled, 'Terminated', 'the workflow was terminated');
    if (cause instanceof TimeoutFailure) return new CliError(ExitCode.TimedOut, 'WorkflowTimedOut', cause.message);
    return new CliError(
      ExitCode.Infrastructure,
      cause instanceof ApplicationFailure ? (cause.type ?? 'Failure') : 'Failure',
      cause?.message ?? err.message,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  // gRPC / connection trouble (Temporal unreachable, deadline exceeded) and anything from the network.
  if (err instanceof Error && (/ServiceError|ConnectionError|TransportError/.test(err.name) || 'code' in err)) {
    return new CliError(ExitCode.Infrastructure, 'Infrastructure', message);
  }
  return new CliError(ExitCode.Internal, 'Internal', message);
}
