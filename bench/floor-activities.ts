// The floor's activities (bench/floor-workflows.ts): one create, then the cheapest status check that still asks the
// simulator over HTTP. They use the project's Kling client, as the seed loop does, so that project ÷ floor is about
// the orchestration, not about request encoding. No validation, no balance or budget, no rehost, no metrics.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { KlingClient, KlingTask } from '../src/kling/index.js';

/** What the workflow keeps of the created task: enough to ask for its status. */
export type FloorTask = Pick<KlingTask, 'taskId' | 'standard' | 'kind'>;

/** The type of the failure variant (b) retries on. */
export const NOT_DONE_YET = 'FloorNotDoneYet';

export function createFloorActivities(kling: KlingClient) {
  const status = async (task: FloorTask): Promise<string> => {
    const current = await kling.getTask(task);
    if (current?.status === 'failed')
      throw ApplicationFailure.nonRetryable(`task ${task.taskId} failed: ${current.statusMessage ?? ''}`, 'FloorTaskFailed');
    return current?.status ?? 'unknown';
  };
  return {
    /** One create, like a generation's submit (the external id is the workflow id). */
    async floorCreate(input: { request: Record<string, unknown>; externalTaskId: string }): Promise<FloorTask> {
      const task = await kling.createTask({ ...input.request, externalTaskId: input.externalTaskId });
      return { taskId: task.taskId, standard: task.standard, kind: task.kind };
    },
    /** Variants (a) and (c): one status query, answered as it is. */
    floorStatus: status,
    /**
     * Variant (b): waits inside the activity's retries. Throws a retryable "not done yet" until the task has
     * succeeded; BENIGN, so the worker logs the expected failures at DEBUG, not WARN. Returns the attempt number:
     * the status checks it took.
     */
    async floorAwaitSucceeded(task: FloorTask): Promise<number> {
      if ((await status(task)) !== 'succeeded')
        throw ApplicationFailure.create({ message: 'not done yet', type: NOT_DONE_YET, category: ApplicationFailureCategory.BENIGN });
      return Context.current().info.attempt;
    },
  };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>;
