import { z } from 'zod';
import { GenerationOutcome } from './outcome.js';

/** Memo key under which every generation keeps its CostRecord (read by `kling-video costs`). */
export const COST_MEMO_KEY = 'klingCosts';

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
});
export type CostRecord = z.infer<typeof CostRecord>;
