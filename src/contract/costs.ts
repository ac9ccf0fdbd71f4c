import { z } from 'zod';
import { GenerationOutcome } from './outcome.js';

export { COST_MEMO_KEY } from './constants.js';

/**
 * What a generation spent, estimated before submission and reported by Kling after: in the result, the
 * workflow memo (`COST_MEMO_KEY`) and metrics. Credits = Kling units × `creditsPerUnit` of the estimate.
 */
export const CostRecord = z.object({
  model: z.string().optional(),
  /** Credits estimated from the pricing data before submission (undefined when validation failed first). */
  estimatedCredits: z.number().optional(),
  creditsPerUnit: z.number().optional(),
  /** Units Kling reported deducting (task query, callback or the account's deduction records); never assumed. */
  actualUnits: z.number().optional(),
  actualCredits: z.number().optional(),
  /** actual − estimated, when both are known. */
  driftCredits: z.number().optional(),
  /** |drift| beyond the configured tolerance. */
  drift: z.boolean().default(false),
  outcome: GenerationOutcome.optional(),
  klingTaskId: z.string().optional(),
  /** Who approved the spend, when the approval gate applied. */
  approvedBy: z.string().optional(),
  /** The drift tolerance applied (a fraction of the estimate). */
  driftTolerance: z.number().optional(),
  /**
   * Where submission stands: `none` (nothing sent: nothing can be billed), `unknown` (a create call's outcome is
   * unknown and the lookup by external id found nothing yet), `submitted` (Kling accepted a task).
   */
  submission: z.enum(['none', 'unknown', 'submitted']).optional(),
  /** The external id of a create that is being sent or whose outcome is unknown: a task Kling may have. Cleared once the task is known. */
  pendingExternalTaskId: z.string().optional(),
  /** sha256 of the request's canonical form: a re-run of the same workflow id collects this run's tasks only for the same request. */
  requestSha256: z.string().optional(),
  /** Every Kling task of this generation (resubmissions included) with what Kling reported deducting for it. */
  tasks: z
    .array(
      z.object({
        klingTaskId: z.string(),
        externalTaskId: z.string(),
        status: z.string().optional(),
        /** Units Kling reported for this task; absent = not reported (never assumed zero). */
        unitsDeducted: z.number().optional(),
      }),
    )
    .optional(),
  /** Set when the generation was cancelled: before or after submission. */
  cancelled: z.enum(['before_submit', 'after_submit']).optional(),
});
export type CostRecord = z.infer<typeof CostRecord>;
