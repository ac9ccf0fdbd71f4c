import { Context } from '@temporalio/activity';
import { KlingApiError, type KlingClient, type KlingTask, type TaskRef } from '../kling/index.js';
import type { SubmittedTask } from '../shared/generation.js';
import { toActivityFailure, type LimitRetryDelays } from './failures.js';

/**
 * Creates the Kling task at most once per external id. A retried attempt (timeout, crash, 5xx after the
 * server accepted) first looks the task up by external id; a create refused as "already exists" is
 * resolved the same way. Kling deduplicates on external_task_id, so a retry never pays twice.
 */
export async function submitTask(
  kling: KlingClient,
  request: Record<string, unknown>,
  externalTaskId: string,
  delays?: LimitRetryDelays,
): Promise<SubmittedTask> {
  const { kind, standard } = kling.wireRequest({ ...request, externalTaskId });
  const ref: TaskRef = { standard, kind, externalTaskId };
  const log = Context.current().log;
  try {
    if (Context.current().info.attempt > 1) {
      const existing = await kling.getTask(ref);
      if (existing) return adopted(existing, externalTaskId, log);
    }
    const task = await kling.createTask({ ...request, externalTaskId });
    log.info('Kling task created', { taskId: task.taskId, externalTaskId, standard });
    return { taskId: task.taskId, externalTaskId, standard, kind, adopted: false };
  } catch (err) {
    if (err instanceof KlingApiError && err.code === 1201 && /already exists/i.test(err.apiMessage)) {
      const existing = await kling.getTask(ref).catch(() => undefined);
      if (existing) return adopted(existing, externalTaskId, log);
    }
    throw toActivityFailure(err, delays);
  }
}

function adopted(task: KlingTask, externalTaskId: string, log: { info: (m: string, a?: Record<string, unknown>) => void }): SubmittedTask {
  log.info('Kling task already existed; adopting it instead of creating another', { taskId: task.taskId, externalTaskId });
  return { taskId: task.taskId, externalTaskId, standard: task.standard, kind: task.kind, adopted: true };
}
