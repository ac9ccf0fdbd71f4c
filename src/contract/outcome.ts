import { z } from 'zod';

/**
 * How a generation ended, for metrics, the memo and the cost ledger. One spelling shared by the workflow,
 * the worker's metrics sink and the CLI.
 */
export const GenerationOutcome = z.enum([
  /** Stored; the video is paid for and kept. */
  'succeeded',
  /** Refused before submission (schema, catalog, lint): nothing spent. */
  'invalid',
  /** Refused before submission by a budget or the balance guard: nothing spent. */
  'budget_refused',
  /** The approval gate rejected it, or its approval timed out: nothing spent. */
  'approval_rejected',
  /** Kling refused the create itself (content policy, other permanent refusals, credentials): no task, nothing spent. */
  'refused',
  /** Kling reported the task `failed` (what it deducted, if it said, is in the memo and failure details). */
  'failed',
  /** A deadline passed (overall, queued or processing); the task may still finish and be billed (adoptVideo collects it). */
  'timed_out',
  /** Cancelled before anything was submitted: nothing spent. */
  'cancelled_before_submit',
  /** Cancelled after submission: Kling cannot stop a task, so it is still billed. */
  'abandoned_billed',
  /** Cancelled after submission with `collectAfterCancel`: billed, so downloaded and stored anyway. */
  'collected_after_cancel',
  /** Any other failure (download, storage, Kling unavailable). */
  'error',
]);
export type GenerationOutcome = z.infer<typeof GenerationOutcome>;

/** What the workflow reports once, at its end, to the worker's metrics sink (never during replay). */
export const GenerationFinishedEvent = z.object({
  outcome: GenerationOutcome,
  model: z.string().optional(),
  standard: z.string().optional(),
  creditsEstimated: z.number().optional(),
  /** Credits Kling reported deducting, when it did. */
  creditsActual: z.number().optional(),
  /** True when |actual − estimate| exceeded the configured tolerance. */
  creditDrift: z.boolean().optional(),
  /** The delivered task's deduction minus the estimate, in credits (signed), when both are known. */
  driftCredits: z.number().optional(),
  /** Time spent per phase (validating, approving, submitting, generating, rehosting): only the phases the run entered. */
  phaseDurationsMs: z.record(z.string(), z.number()),
  /**
   * An adoptVideo run: counted in `kling_adoptions_total` only, not in `kling_videos_total` nor the credit counters
   * (the generation that left the task, if any, counted itself already; the deduction is in the adoption's result).
   */
  adopted: z.boolean().optional(),
});
export type GenerationFinishedEvent = z.infer<typeof GenerationFinishedEvent>;
