// `kling-temporal`: the typed client a backend service starts and follows generations with, the request, option
// and result types, and the failure types a generation ends with (plus guards for them).
// Other entry points: `kling-temporal/worker`, `kling-temporal/workflows`, `kling-temporal/kling`, `kling-temporal/testing`.
export {
  VideoGenerationClient,
  prepareVideoGeneration,
  validateGenerationLocally,
  type BatchRequest,
  type GenerationRequest,
  type LocalValidationOptions,
  type PreparedGeneration,
  type StartOptions,
} from './client.js';
export { IdempotencyConflictError, isIdempotencyConflict, REQUEST_MEMO_KEY, type RequestIdentity } from './idempotency.js';
export { NoWorkerPollingError } from './task-queue-check.js';
// Tracing (docs/observability.md): `new VideoGenerationClient(client, { tracing })`, on by default when OTEL_* ask for it.
export { startTracing, type ClientTracingOption, type KlingTracing, type TracingOptions } from './tracing/index.js';

import type { GenerateVideoInput } from './contract/generation.js';
export type {
  AdoptVideoInput,
  AdoptVideoOptions,
  AdoptVideoResult,
  GenerateVideoInput,
  GenerateVideoOptions,
  GenerateVideoResult,
  GenerationPhase,
  GenerationProgress,
  StoredVideo,
} from './contract/generation.js';
/** The workflow options as a caller writes them (every field optional; GenerateVideoOptions is the parsed form, defaults filled in). */
export type GenerateVideoOptionsInput = NonNullable<GenerateVideoInput['options']>;
export type { BatchItemEstimate, BatchItemOutcome, BatchOptions, BatchProgress, GenerateBatchInput, GenerateBatchResult } from './contract/batch.js';
export type { CostRecord } from './contract/costs.js';
export type { GenerationOutcome } from './contract/outcome.js';
export type { ApprovalDecision, ApproveInput, RejectInput } from './contract/messages.js';
export { BATCH_MEMO_KEY, COST_MEMO_KEY, DEFAULT_TASK_QUEUE } from './contract/constants.js';
export { KlingModel, KlingPhase, KlingStatus, KlingTaskId, SEARCH_ATTRIBUTES } from './contract/search-attributes.js';

// The Kling request (what `startVideoGeneration` validates) and the errors the client throws before starting anything.
export type {
  ApiStandard,
  CameraControl,
  CreditEstimate,
  PromptLintReport,
  Resolution,
  ValidationIssue,
  VideoKind,
  VideoRequest,
  VideoRequestInput,
} from './kling/index.js';
export { KlingError, KlingValidationError } from './kling/index.js';

export { FailureType, NON_RETRYABLE_FAILURES } from './contract/failure-types.js';
export { isFailureType, isKlingFailure, klingFailureOf, type KlingFailure } from './contract/failure-guards.js';
