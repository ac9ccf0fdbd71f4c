import { z } from 'zod';
import { durationMs, GenerateVideoInput } from './generation.js';

/** Most items one batch accepts: its history stays bounded without continue-as-new (docs/batches.md). */
export const MAX_BATCH_ITEMS = 1000;

/**
 * Batched status queries (new-standard items only; NEW §3.6 `GET /tasks` takes up to 20 ids): one watcher
 * activity of the batch looks up every in-flight item 20 external ids per call when one of their tasks is due (the
 * generation time it learned from the batch's ended tasks; at least each `interval`) and signals an item's workflow
 * (`klingTaskUpdated`, with the status it read) when its status changes, so a batch of 1,000 makes about 50 status
 * calls per lookup instead of 1,000. Each batched item keeps its own poll as a slow fallback
 * (`childPollInterval`, unless the item sets `options.poll`), so a watcher outage costs latency, never a video.
 */
export const BatchPolling = z
  .object({
    /** Default true. False: every item polls its own task on its own schedule. */
    enabled: z.boolean().default(true),
    /** Longest time between two lookups of the in-flight items (they come earlier when a task is due). Default 10 s. */
    interval: durationMs('10s'),
    /** Each batched item's own poll interval (its fallback). Default 2 minutes. */
    childPollInterval: durationMs('2 minutes'),
  })
  .strict();

/**
 * Batch options. `concurrency` caps the unfinished items per concurrency bucket (NEW §6: account × model version ×
 * resource-pack type; the account is implicit: one worker, one account). Default 5, the trial pack's "5Con".
 */
export const BatchOptions = z
  .object({
    /** Unfinished items per bucket. Default 5. */
    concurrency: z.number().int().min(1).max(200).default(5),
    /** Per-bucket caps (bucket keys as reported in the progress, e.g. `video:kling-2.6`) overriding `concurrency`. */
    bucketConcurrency: z.record(z.string(), z.number().int().min(1).max(200)).optional(),
    /**
     * `model` (NEW §6): one bucket per model version and pack type. `packType` (REF §6.1, older): one bucket for every
     * video task. Default `model`.
     */
    bucketScope: z.enum(['model', 'packType']).default('model'),
    /** Total credit budget: items whose estimate exceeds what is left are skipped before anything is submitted. */
    maxCredits: z.number().positive().optional(),
    /**
     * Approval gate for the whole batch: when the admitted items' estimate exceeds `aboveCredits`, nothing starts
     * until the batch's `approve` Update (or `reject`, or the timeout: ApprovalRejected, nothing spent).
     */
    approval: z
      .object({
        aboveCredits: z.number().positive(),
        timeout: durationMs('24 hours'),
      })
      .strict()
      .optional(),
    batchPolling: BatchPolling.prefault({}),
  })
  .strict();
export type BatchOptions = z.infer<typeof BatchOptions>;

/** Workflow input: the items (each a generateVideo input) and the batch options. */
export const GenerateBatchInput = z
  .object({
    items: z.array(GenerateVideoInput).min(1).max(MAX_BATCH_ITEMS),
    options: BatchOptions.partial().optional(),
  })
  .strict();
export type GenerateBatchInput = z.input<typeof GenerateBatchInput>;

/** What the estimate activity decides per item, before anything is started. */
export const BatchItemEstimate = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    index: z.number(),
    model: z.string(),
    /** The API standard the item will use: only `new` items are polled in batches (absent in older histories). */
    standard: z.enum(['legacy', 'new']).optional(),
    bucket: z.string(),
    /** Credits of one task. */
    estimatedCredits: z.number(),
    /** What the budget reserves: one task per submission the item may make (1 + resubmitOnFailure). */
    reservedCredits: z.number(),
  }),
  z.object({ ok: z.literal(false), index: z.number(), failureType: z.string(), message: z.string() }),
]);
export type BatchItemEstimate = z.infer<typeof BatchItemEstimate>;

/** One item's outcome in the batch result. */
export const BatchItemOutcome = z.discriminatedUnion('outcome', [
  z.object({
    index: z.number(),
    outcome: z.literal('succeeded'),
    workflowId: z.string(),
    uri: z.string(),
    url: z.string().optional(),
    klingTaskId: z.string(),
    model: z.string(),
    estimatedCredits: z.number(),
    actualCredits: z.number().optional(),
  }),
  z.object({
    index: z.number(),
    outcome: z.literal('failed'),
    /** Absent when the item was refused before a child started (invalid request). */
    workflowId: z.string().optional(),
    failureType: z.string(),
    message: z.string(),
    estimatedCredits: z.number().optional(),
    /** What Kling reported deducting for the failed item, when it did (never assumed). */
    actualCredits: z.number().optional(),
    klingTaskId: z.string().optional(),
  }),
  z.object({
    index: z.number(),
    outcome: z.literal('skipped'),
    reason: z.string(),
    estimatedCredits: z.number(),
    /** Budget left when the item came up, and the budget. */
    remainingCredits: z.number(),
    maxCredits: z.number(),
  }),
]);
export type BatchItemOutcome = z.infer<typeof BatchItemOutcome>;

/** The batch's counters: the `batchProgress` query, the memo (`BATCH_MEMO_KEY`) and the result. */
export const BatchProgress = z.object({
  total: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  skipped: z.number(),
  inFlight: z.number(),
  /** Admitted but not started yet (waiting for a slot). */
  waiting: z.number(),
  /** Unfinished items per bucket and each bucket's cap. */
  buckets: z.record(z.string(), z.object({ inFlight: z.number(), cap: z.number() })),
  credits: z.object({
    budget: z.number().optional(),
    /** Estimates of the admitted items (reserved against the budget). */
    reserved: z.number(),
    /** Estimates of the finished items. */
    estimated: z.number(),
    /** What Kling reported deducting for finished items. */
    actual: z.number(),
  }),
  /** Most unfinished items seen at once in any one bucket. */
  peakInFlight: z.number(),
  /** In-flight items whose status the batch looks up for them (batchPolling); absent in older records. */
  polledByBatch: z.number().optional(),
  phase: z.enum(['estimating', 'awaiting_approval', 'running', 'completed']),
});
export type BatchProgress = z.infer<typeof BatchProgress>;

export const GenerateBatchResult = z.object({
  progress: BatchProgress,
  items: z.array(BatchItemOutcome),
  /** Who approved the batch, when its estimate was above `options.approval.aboveCredits`. */
  approvedBy: z.string().optional(),
});
export type GenerateBatchResult = z.infer<typeof GenerateBatchResult>;

export { BATCH_MEMO_KEY, batchItemWorkflowId } from './constants.js';
