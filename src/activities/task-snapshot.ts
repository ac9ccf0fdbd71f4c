import type { KlingClient, KlingTask } from '../kling/index.js';
import type { TaskSnapshot } from '../contract/generation.js';

/**
 * What a workflow learns from one task query. A finished new-standard task whose query carries no `billing` gets
 * its deduction from the account's ledger (best effort: a failed lookup leaves it undefined and is logged).
 */
export async function taskSnapshot(
  kling: KlingClient,
  task: KlingTask,
  context: { signal?: AbortSignal; warn: (message: string, attributes: Record<string, unknown>) => void },
): Promise<TaskSnapshot> {
  let unitsDeducted = task.unitsDeducted;
  if (unitsDeducted === undefined && task.standard === 'new' && (task.status === 'succeeded' || task.status === 'failed')) {
    try {
      unitsDeducted = (await kling.getTaskDeduction(task.taskId, { startTime: task.createdAt, signal: context.signal }))?.units;
    } catch (err) {
      context.warn('Kling deduction lookup failed; the actual cost stays unknown', {
        taskId: task.taskId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return { status: task.status, statusMessage: task.statusMessage, unitsDeducted };
}
