import { getExternalWorkflowHandle, log, patched, workflowInfo } from '@temporalio/workflow';
import { batchItemTaskEndedSignal } from '../contract/batch-messages.js';

/** Histories recorded before items told their batch about an ended task replay without the signal. */
const SLOT_RELEASE_PATCH = 'kling-slot-release-v1';

/** Is this run an item of a generateBatch (`<batchId>-<index>`, started by that batch)? */
function batchParent(): { workflowId: string; runId: string } | undefined {
  const { parent, workflowId } = workflowInfo();
  if (parent === undefined) return undefined;
  const rest = workflowId.startsWith(`${parent.workflowId}-`) ? workflowId.slice(parent.workflowId.length + 1) : '';
  return /^\d+$/.test(rest) ? parent : undefined;
}

/**
 * An item whose Kling task succeeded tells its batch before the rehost, so the batch can give the concurrency slot
 * Kling just freed to the next item. Not awaited: the download must not wait for the batch, and a batch that has
 * already ended needs no news (the failure is logged, nothing else).
 */
export function tellBatchTaskEnded(): void {
  const parent = batchParent();
  if (parent === undefined || !patched(SLOT_RELEASE_PATCH)) return;
  getExternalWorkflowHandle(parent.workflowId, parent.runId)
    .signal(batchItemTaskEndedSignal, { workflowId: workflowInfo().workflowId })
    .catch((err: unknown) =>
      log.warn("could not tell the batch that this item's Kling task ended", { error: err instanceof Error ? err.message : String(err) }),
    );
}
