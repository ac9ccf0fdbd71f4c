import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { z } from 'zod';

/** The task references the activities receive: a SubmittedTask, `{ task }` (rehost) or `{ externalTaskId }` (submit). */
const TaskRef = z.object({ taskId: z.string().optional(), externalTaskId: z.string().optional() });
const ActivityArg = TaskRef.extend({ task: TaskRef.optional() });

/** `klingTaskId` / `externalTaskId` found in an activity's first argument. */
export function taskLogAttributes(args: readonly unknown[]): { klingTaskId?: string; externalTaskId?: string } {
  const parsed = ActivityArg.safeParse(args[0]);
  if (!parsed.success) return {};
  const klingTaskId = parsed.data.task?.taskId ?? parsed.data.taskId;
  const externalTaskId = parsed.data.task?.externalTaskId ?? parsed.data.externalTaskId;
  return { ...(klingTaskId ? { klingTaskId } : {}), ...(externalTaskId ? { externalTaskId } : {}) };
}

/**
 * Adds the Kling task id (and external task id) to every log line an activity writes through
 * `Context.current().log`, including the SDK's own "Activity failed" lines, next to the workflowId,
 * activityType and attempt Temporal adds. Only ids: nothing else from the arguments reaches the logs.
 */
export const klingActivityLogAttributes: ActivityInterceptorsFactory = () => {
  let attributes: Record<string, string> = {};
  return {
    inbound: {
      execute(input, next) {
        attributes = taskLogAttributes(input.args);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(input, next) {
        return next({ ...input, ...attributes });
      },
    },
  };
};
