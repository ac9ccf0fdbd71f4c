/** Delivering a callback to its workflow: the `klingTaskUpdated` signal, by workflow id (no side database). */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TaskStatus } from '../kling/index.js';
import { taskUpdatedSignal } from '../contract/messages.js';

/** `signalled`, or `not-found` when the workflow does not exist or has already closed. Other errors are thrown. */
export type SignalOutcome = 'signalled' | 'not-found';

export type WorkflowSignaller = (workflowId: string, update: { status: TaskStatus; taskId: string }) => Promise<SignalOutcome>;

/**
 * Signals the latest run of the workflow id. A run of the same id that did not submit this task only gets an
 * early wake-up: the workflow verifies the status with one query before acting (the signal is a hint).
 */
export function temporalSignaller(client: Pick<Client, 'workflow'>): WorkflowSignaller {
  return async (workflowId, update) => {
    try {
      await client.workflow.getHandle(workflowId).signal(taskUpdatedSignal, update);
      return 'signalled';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'not-found';
      throw err;
    }
  };
}
