import { ApplicationFailure } from '@temporalio/common';
import { zodIssues, type KlingClient, type PricingTable } from '../kling/index.js';
import { BatchOptions, batchItemWorkflowId, MAX_BATCH_ITEMS, type BatchItemEstimate } from '../contract/batch.js';
import { WORKFLOW_ID_PATTERN } from '../contract/constants.js';
import { FailureType } from '../contract/failure-types.js';
import type { GenerateVideoInput } from '../contract/generation.js';
import { validateGeneration } from './validate.js';

/** Every simulated and real video task draws on the video pack (NEW §6 "resource package type"). */
const VIDEO_PACK = 'video';

/** Longest batch id: its items' ids (`<batchId>-<index>`) must still match WORKFLOW_ID_PATTERN. */
const MAX_BATCH_ID = 110;

/**
 * Batch-level checks before anything is estimated: the batch id (its items' workflow ids derive from it), the item
 * count and the options. Fails with a non-retryable InvalidVideoRequest naming each field.
 */
export function validateBatchOptions(args: { batchId: string; itemCount: number; options: unknown }): BatchOptions {
  const issues: Array<{ field: string; message: string }> = [];
  if (!WORKFLOW_ID_PATTERN.test(args.batchId) || args.batchId.length > MAX_BATCH_ID)
    issues.push({
      field: 'workflowId',
      message: `must match ${WORKFLOW_ID_PATTERN} and be at most ${MAX_BATCH_ID} characters (item ids are <batch id>-<index>)`,
    });
  if (args.itemCount < 1 || args.itemCount > MAX_BATCH_ITEMS)
    issues.push({ field: 'items', message: `1 to ${MAX_BATCH_ITEMS} items, got ${args.itemCount}` });
  const parsed = BatchOptions.safeParse(args.options ?? {});
  if (!parsed.success) issues.push(...zodIssues(parsed.error).map((i) => ({ ...i, field: `options.${i.field}` })));
  if (issues.length || !parsed.success)
    throw ApplicationFailure.create({
      type: FailureType.InvalidVideoRequest,
      message: `Invalid batch: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      nonRetryable: true,
      details: [{ issues }],
    });
  return parsed.data;
}

/**
 * Estimates items without submitting anything: the same validation a generation runs first (schema, catalog,
 * per-item `maxCredits`, lint), then the item's concurrency bucket from the catalog's canonical model id (legacy
 * `kling-v2-6` and new `kling-2.6` share one bucket: whether Kling counts them apart is unknown, NEW §6, and
 * sharing can only under-use slots, never provoke 1303). A refused item is a value (`ok: false`), not an error.
 */
export function estimateBatchItems(
  deps: { kling: KlingClient; pricing?: PricingTable; objectPrefix: string },
  args: { batchId: string; firstIndex: number; items: GenerateVideoInput[]; bucketScope: BatchOptions['bucketScope'] },
): BatchItemEstimate[] {
  return args.items.map((item, offset) => {
    const index = args.firstIndex + offset;
    try {
      const plan = validateGeneration(deps, item, { workflowId: batchItemWorkflowId(args.batchId, index), firstExecutionRunId: 'batch-estimate' });
      return {
        ok: true,
        index,
        model: plan.model,
        standard: plan.standard,
        bucket: args.bucketScope === 'packType' ? VIDEO_PACK : `${VIDEO_PACK}:${plan.model}`,
        estimatedCredits: plan.estimate.credits,
        reservedCredits: plan.estimate.credits * (1 + plan.resubmitOnFailure),
      };
    } catch (err) {
      if (err instanceof ApplicationFailure && err.nonRetryable)
        return { ok: false, index, failureType: err.type ?? FailureType.InvalidVideoRequest, message: err.message };
      throw err;
    }
  });
}
