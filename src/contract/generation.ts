import { msToNumber } from '@temporalio/common/lib/time.js';
import { z } from 'zod';
import { CreditEstimate } from '../kling/pricing.js';
import { PromptLintReport } from '../kling/prompt-lint.js';
import { ApiStandard, Resolution, VideoKind } from '../kling/catalog.js';
import { TaskStatus } from '../kling/task.js';
import { WireRequest } from '../kling/wire-request.js';
import { DEFAULT_POLL } from './constants.js';
import { CostRecord } from './costs.js';
import { positiveDurationMs } from './duration.js';
import { GenerationOutcome } from './outcome.js';

/** A duration in milliseconds, or a string Temporal understands (`'10 minutes'`, `'30s'`); checked where it is written. */
export const DurationInput = z.union([
  z.number().int().positive(),
  z.string().refine((value) => positiveDurationMs(value) !== undefined, {
    error: (issue) => `"${String(issue.input)}" is not a positive duration (e.g. "30s", "10 minutes" or milliseconds)`,
  }),
]);

/**
 * A duration option as parsed: written as DurationInput (the input type keeps accepting strings and numbers), read as
 * milliseconds. `fallback` (written as a caller would) applies when the option is absent. Every parsed option and
 * every plan carries milliseconds, so nothing downstream converts a duration again.
 */
export function durationMs(): z.ZodPipe<typeof DurationInput, z.ZodTransform<number, number | string>>;
export function durationMs(fallback: string): z.ZodPrefault<z.ZodPipe<typeof DurationInput, z.ZodTransform<number, number | string>>>;
export function durationMs(fallback?: string) {
  const ms = DurationInput.transform((value) => msToNumber(value as never));
  return fallback === undefined ? ms : ms.prefault(fallback);
}

export const PollSchedule = z
  .object({
    /** First status check after submission. Default 5 s. */
    initialInterval: durationMs(DEFAULT_POLL.initialInterval),
    /** Each wait is the previous one times this. Default 1.5. */
    backoffCoefficient: z.number().min(1).max(10).default(DEFAULT_POLL.backoffCoefficient),
    /** Cap on the wait between polls. Default 10 s. */
    maxInterval: durationMs(DEFAULT_POLL.maxInterval),
  })
  .strict();

/**
 * Activity timeouts (how soon a crashed worker's attempt is retried elsewhere) and the rehost retry's first
 * delay. Defaults: submit 2 minutes start-to-close, status check 30 s start-to-close, rehost 30 s heartbeat,
 * rehost retried after 5 s (doubling). Shorter values suit tests and latency-sensitive deployments; each
 * timeout must stay above the longest healthy call (a create, a status query, the gap between two chunks).
 */
export const ActivityTimeoutOptions = z
  .object({
    /** Validation runs before the plan exists: this one is read from the raw options (a malformed value is ignored there and named by validation). */
    validateStartToClose: durationMs().optional(),
    submitStartToClose: durationMs().optional(),
    statusStartToClose: durationMs().optional(),
    rehostHeartbeat: durationMs().optional(),
    rehostRetryInitialInterval: durationMs().optional(),
  })
  .strict();

export const ApprovalOptions = z
  .object({
    /** Estimates strictly above this many credits need an approval (0 = every generation). */
    aboveCredits: z.number().min(0),
    /** How long to wait for a decision; then the generation is rejected with nothing spent. Default 24 hours. */
    timeout: durationMs('24 hours'),
  })
  .strict();

/** Safe prefix segments only: the object name never contains free user text. */
const SafePrefix = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}(\/[a-z0-9][a-z0-9_-]{0,62}){0,4}$/, 'lower-case letters, digits, "-", "_" and "/" between segments');

export const GenerateVideoOptions = z
  .object({
    /** Give up waiting this long after submission. Default 10 minutes (seed pitfall 4). */
    deadline: durationMs('10 minutes'),
    /**
     * Fail with VideoQueuedTooLong when the task is still `submitted` (queued at Kling) this long after the wait
     * began. Unset: only `deadline` applies. A value above `deadline` never fires.
     */
    queuedDeadline: durationMs().optional(),
    /** Fail with VideoProcessingTooLong when the task is still `processing` this long after it was first seen processing. Unset: only `deadline` applies. */
    processingDeadline: durationMs().optional(),
    poll: PollSchedule.prefault({}),
    /** Refuse to submit when the credit estimate exceeds this. */
    maxCredits: z.number().positive().optional(),
    /** How many times to resubmit after a `failed` task that is not a content-policy refusal. Default 0. */
    resubmitOnFailure: z.number().int().min(0).max(5).default(0),
    /** Where to store the video, under the worker's configured bucket. */
    destination: z.object({ prefix: SafePrefix.optional() }).strict().default({}),
    /** Fail when the prompt lint score is below `minLintScore`. */
    strictPromptLint: z.boolean().default(false),
    minLintScore: z.number().int().min(0).max(100).default(60),
    /** Activity timeouts; see ActivityTimeoutOptions. */
    activityTimeouts: ActivityTimeoutOptions.prefault({}),
    /**
     * How far (a fraction of the estimate) Kling's reported deduction may differ before it counts as drift:
     * logged, flagged in the result and memo, counted in metrics. Default 0.05 (5 %).
     */
    creditDriftTolerance: z.number().min(0).max(10).default(0.05),
    /**
     * Rolling 24-hour credit budget of the workflow's task queue, enforced before each submission by the
     * `creditBudget` entity workflow (one per task queue), so concurrent generations cannot overspend it.
     */
    dailyCreditBudget: z.number().positive().optional(),
    /** Approval gate: an estimate above `aboveCredits` waits for the `approve`/`reject` Update before submitting. */
    approval: ApprovalOptions.optional(),
    /** Cancelled after submission: still download and store the (billed) video. Default false: stop polling at once. */
    collectAfterCancel: z.boolean().default(false),
    /**
     * With account-wide slot admission (KLING_SLOTS, docs/slots.md): waiters with a higher priority get a free slot
     * first, FIFO within a priority. Default 0; e.g. -1 for background batches, 1 for interactive requests.
     */
    slotPriority: z.number().int().min(-100).max(100).optional(),
  })
  .strict();
/** The options as parsed: every default filled in, every duration in milliseconds. Callers write `GenerateVideoInput['options']`. */
export type GenerateVideoOptions = z.infer<typeof GenerateVideoOptions>;

/**
 * Workflow input. Credentials are never part of it: the worker holds them. Parsed once (checkGenerationInput): the
 * output carries the complete options (defaults, durations in ms); the input type is what callers write.
 */
export const GenerateVideoInput = z
  .object({
    /** The Kling request (see the client's VideoRequest); `externalTaskId` is derived by the workflow. */
    request: z.record(z.string(), z.unknown()),
    options: GenerateVideoOptions.prefault({}),
  })
  .strict();
export type GenerateVideoInput = z.input<typeof GenerateVideoInput>;
/** GenerateVideoInput as parsed: the options complete, durations in milliseconds. */
export type ParsedGenerateVideoInput = z.output<typeof GenerateVideoInput>;

export const SubmittedTask = z.object({
  taskId: z.string(),
  externalTaskId: z.string(),
  standard: ApiStandard,
  kind: VideoKind,
  /** True when the task already existed (a retry found it by external id): nothing was paid twice. */
  adopted: z.boolean(),
});
export type SubmittedTask = z.infer<typeof SubmittedTask>;

/**
 * What the submit and lookup activities are given: the plan's resolved create (`wire`), or, for a run whose plan was
 * recorded before plans carried it, the raw request (resolved at submission, as that code always did).
 */
export type SubmissionTarget = { wire: WireRequest; request?: undefined } | { request: Record<string, unknown>; wire?: undefined };

/** What validation decides before anything is submitted; durations resolved to milliseconds. */
export const GenerationPlan = z.object({
  model: z.string(),
  standard: ApiStandard,
  kind: VideoKind,
  resolution: Resolution,
  durationSeconds: z.number(),
  audio: z.boolean(),
  estimate: CreditEstimate,
  lint: PromptLintReport.optional(),
  promptSha256: z.string().optional(),
  deadlineMs: z.number(),
  /** Phase deadlines in ms (absent when not configured, and in plans recorded before they existed). */
  queuedDeadlineMs: z.number().optional(),
  processingDeadlineMs: z.number().optional(),
  poll: z.object({ initialMs: z.number(), backoffCoefficient: z.number(), maxMs: z.number() }),
  resubmitOnFailure: z.number(),
  objectName: z.string(),
  /** Resolved activity timeouts in ms; absent in plans recorded before the option existed (defaults apply). */
  activityTimeoutsMs: z
    .object({
      validateStartToClose: z.number().optional(),
      submitStartToClose: z.number().optional(),
      statusStartToClose: z.number().optional(),
      rehostHeartbeat: z.number().optional(),
      rehostRetryInitialInterval: z.number().optional(),
    })
    .optional(),
  /** Cost controls (absent in plans recorded before they existed: no gate, no daily budget, 5 % tolerance). */
  driftTolerance: z.number().optional(),
  dailyCreditBudget: z.number().optional(),
  /**
   * Whether the validating worker's balance guard is on (KLING_BALANCE_GUARD). Runs since
   * 'kling-wait-in-activity-v1' skip the balance activity when it is false; absent in older plans (always asked).
   */
  balanceGuard: z.boolean().optional(),
  approval: z.object({ aboveCredits: z.number(), timeoutMs: z.number() }).optional(),
  collectAfterCancel: z.boolean().optional(),
  /** sha256 of the request's canonical form (requestFingerprint); absent in plans recorded before it existed. */
  requestSha256: z.string().optional(),
  /**
   * A task an earlier, unfinished run of this workflow id left on Kling for the same request (processing or
   * succeeded): this run collects it instead of paying for a new one. Absent when there is none.
   */
  earlierTask: SubmittedTask.extend({ fromRunId: z.string(), status: z.string() }).optional(),
  /**
   * Account-wide slot admission (KLING_SLOTS, docs/slots.md): the concurrency bucket (`video:<model>`), its slot
   * count and the entity's lease check. Absent when the worker does not configure it for this bucket.
   */
  slots: z.object({ bucket: z.string(), limit: z.number(), leaseCheckMs: z.number(), priority: z.number().optional() }).optional(),
  /**
   * The request as validation resolved it: standard, kind, path and body of the create (no credentials: they are
   * headers). Submit and the lookups use it as is, adding only the external id (per submission) and the worker's
   * callback URL; nothing resolves the request again. Absent in plans recorded before it existed: those submit the
   * raw `input.request`, resolved at submission as they always were.
   */
  wire: WireRequest.optional(),
});
export type GenerationPlan = z.infer<typeof GenerationPlan>;

/** What the status activity reports: a value, even for `failed`. `unknown` = not visible (yet). */
export const TaskSnapshot = z.object({
  status: z.union([TaskStatus, z.literal('unknown')]),
  statusMessage: z.string().optional(),
  unitsDeducted: z.number().optional(),
});
export type TaskSnapshot = z.infer<typeof TaskSnapshot>;

export const StoredVideo = z.object({
  /** Permanent location (`gs://bucket/name` or `file:///…`). */
  uri: z.string(),
  /**
   * A permanent URL: public (GCS_URL_MODE=public) or `file:`. Absent with signed URLs (GCS_URL_MODE=signed): they
   * expire, so none enters history; ask VideoGenerationClient.signedUrl (or `kling-video url`) for a fresh one.
   */
  url: z.string().optional(),
  objectName: z.string(),
  size: z.number(),
  md5Base64: z.string(),
  crc32c: z.string().optional(),
  contentType: z.string(),
  /** False when a retry found the object already stored (converged on one object). */
  created: z.boolean(),
});
export type StoredVideo = z.infer<typeof StoredVideo>;

export const GenerationPhase = z.enum([
  'validating',
  'awaiting_approval',
  'waiting_for_slot',
  'submitting',
  'generating',
  'rehosting',
  'completed',
  'failed',
  'cancelled',
]);
export type GenerationPhase = z.infer<typeof GenerationPhase>;

export const GenerateVideoResult = StoredVideo.omit({ created: true }).extend({
  klingTaskId: z.string(),
  externalTaskId: z.string(),
  model: z.string(),
  standard: ApiStandard,
  credits: z.object({
    /** Estimate for one task, from the pricing data, before submission. */
    estimated: z.number(),
    /** Credits Kling reported deducting for every task of this generation (failed resubmissions included). */
    actual: z.number().optional(),
    /** Deducted for the delivered task minus the estimate. */
    driftCredits: z.number().optional(),
    /** |driftCredits| above `creditDriftTolerance` × estimate. */
    drift: z.boolean().optional(),
  }),
  submissions: z.number(),
  polls: z.number(),
  timingsMs: z.object({
    validating: z.number(),
    approving: z.number().optional(),
    submitting: z.number(),
    generating: z.number(),
    rehosting: z.number(),
    total: z.number(),
  }),
  lint: PromptLintReport.optional(),
  /** Who approved the spend, when the approval gate applied. */
  approvedBy: z.string().optional(),
  /** Set when cancellation was requested after submission and `collectAfterCancel` stored the video anyway. */
  collectedAfterCancel: z.boolean().optional(),
});
export type GenerateVideoResult = z.infer<typeof GenerateVideoResult>;

export const GenerationProgress = z.object({
  phase: GenerationPhase,
  klingTaskId: z.string().optional(),
  externalTaskId: z.string().optional(),
  klingStatus: z.string().optional(),
  polls: z.number(),
  submissions: z.number(),
  elapsedMs: z.number(),
  deadlineAt: z.number().optional(),
  bytesTransferred: z.number().optional(),
  totalBytes: z.number().optional(),
  /** The approval gate, when it applies: pending until an `approve`/`reject` Update or its timeout. */
  approval: z
    .object({
      state: z.enum(['pending', 'approved', 'rejected', 'timed_out']),
      aboveCredits: z.number(),
      estimatedCredits: z.number(),
      timeoutAt: z.number(),
      by: z.string().optional(),
    })
    .optional(),
  /**
   * Account-wide slot admission (docs/slots.md): the bucket, whether the slot is held, the place in the queue
   * when the request was answered (1 = next), and how long this run has waited for slots in all.
   */
  slot: z
    .object({
      bucket: z.string(),
      state: z.enum(['waiting', 'holding', 'released']),
      position: z.number(),
      holders: z.number(),
      limit: z.number(),
      waitedMs: z.number(),
    })
    .optional(),
  /** `unknown`: a create call's outcome is unknown; the external id is looked up again before any resubmission. */
  submission: z.enum(['none', 'unknown', 'submitted']).optional(),
  /** How the generation ended (set once it has). */
  outcome: GenerationOutcome.optional(),
  /** Estimate, actual, drift, tasks (also in the memo under COST_MEMO_KEY). */
  costs: CostRecord.optional(),
});
export type GenerationProgress = z.infer<typeof GenerationProgress>;

/** adoptVideo options: the waiting and storing half of GenerateVideoOptions (nothing is submitted, nothing estimated). */
export const AdoptVideoOptions = GenerateVideoOptions.pick({
  deadline: true,
  queuedDeadline: true,
  processingDeadline: true,
  poll: true,
  destination: true,
  activityTimeouts: true,
});
export type AdoptVideoOptions = z.infer<typeof AdoptVideoOptions>;

/**
 * adoptVideo input: exactly one of `taskId`, `externalTaskId` or `id` (either kind: looked up as a task id first,
 * then as an external id). `standard` and `kind` narrow where it is looked up: the new standard's task query needs
 * neither, a legacy query needs the family (`kind`). Unset, the new standard is tried first, then the four legacy families.
 */
export const AdoptVideoInput = z
  .object({
    taskId: z.string().min(1).max(200).optional(),
    externalTaskId: z.string().min(1).max(200).optional(),
    id: z.string().min(1).max(200).optional(),
    standard: ApiStandard.optional(),
    kind: VideoKind.optional(),
    options: AdoptVideoOptions.prefault({}),
  })
  .strict();
export type AdoptVideoInput = z.input<typeof AdoptVideoInput>;

/** What the adoption activity found and resolved: the task, durations in ms and the object name. */
export const AdoptionPlan = z.object({
  /**
   * The task as found. `kind` is absent when nothing says it: found through the new standard's `GET /tasks` (which
   * names no kind), known to no legacy family, and no `kind` given (plans recorded before this said `text-to-video`).
   */
  task: SubmittedTask.extend({ kind: VideoKind.optional() }),
  /** The status at lookup. */
  snapshot: TaskSnapshot,
  /** The worker's pricing: credits per Kling unit, to report the actual cost. */
  creditsPerUnit: z.number(),
  deadlineMs: z.number(),
  queuedDeadlineMs: z.number().optional(),
  processingDeadlineMs: z.number().optional(),
  poll: z.object({ initialMs: z.number(), backoffCoefficient: z.number(), maxMs: z.number() }),
  objectName: z.string(),
  activityTimeoutsMs: GenerationPlan.shape.activityTimeoutsMs,
});
export type AdoptionPlan = z.infer<typeof AdoptionPlan>;

/**
 * adoptVideo's result: GenerateVideoResult's shape, honest about what an adopted task cannot tell. Kling's task
 * query names neither the model nor the request, so there is no estimate (`credits.estimated` absent) and no
 * model; `externalTaskId` is absent when the task was created without one; `submissions` is 0.
 */
export const AdoptVideoResult = GenerateVideoResult.extend({
  externalTaskId: z.string().optional(),
  model: z.string().optional(),
  credits: GenerateVideoResult.shape.credits.extend({ estimated: z.number().optional() }),
  /** Always true: the video of a task this workflow did not submit. */
  adopted: z.literal(true),
});
export type AdoptVideoResult = z.infer<typeof AdoptVideoResult>;
