import type { Client } from '@temporalio/client';

/** temporal.api.enums.v1 values (the proto package is not a direct dependency). */
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;

/**
 * Raised when no worker polls the task queue a workflow needs (a typo in KLING_TASK_QUEUE, a worker not started):
 * the query, or the wait, would otherwise hang silently until its gRPC deadline. `code` makes the CLI count it
 * as infrastructure trouble (exit code of toCliError), not as an internal error.
 */
export class NoWorkerPollingError extends Error {
  override readonly name = 'NoWorkerPollingError';
  readonly code = 'NO_WORKER_POLLING';
  constructor(
    readonly taskQueue: string,
    readonly namespace: string,
  ) {
    super(
      `no worker is polling task queue "${taskQueue}" (namespace ${namespace}): start one with \`kling-video worker\` (KLING_TASK_QUEUE=${taskQueue}) or check KLING_TASK_QUEUE`,
    );
  }
}

/** How long a query may take before the task queue's pollers are looked at (a worker answers well within it). */
export const WORKER_CHECK_AFTER_MS = 2_000;

/**
 * The number of workers that polled `taskQueue` for workflow tasks recently (the server keeps pollers seen in the
 * last minutes; the Web UI's "No workers polling" reads the same list). Undefined when the server would not say.
 */
export async function workflowPollers(client: Client, taskQueue: string): Promise<number | undefined> {
  try {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
      taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
    });
    return response.pollers?.length ?? 0;
  } catch {
    return undefined;
  }
}

/** Throws NoWorkerPollingError when the server says no worker polls `taskQueue` (an unanswered check passes). */
export async function assertWorkerPolling(client: Client, taskQueue: string): Promise<void> {
  if ((await workflowPollers(client, taskQueue)) === 0) throw new NoWorkerPollingError(taskQueue, client.options.namespace);
}

/**
 * `op` (a query, which needs a worker), unless it is still pending after `afterMs` and no worker polls the
 * workflow's task queue: then it rejects with NoWorkerPollingError at once instead of hanging until the query's
 * deadline. With a worker polling, `op` is simply awaited.
 */
export async function withWorkerCheck<T>(client: Client, workflowId: string, op: Promise<T>, afterMs: number = WORKER_CHECK_AFTER_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const check = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      client.workflow
        .getHandle(workflowId)
        .describe()
        .then(async ({ taskQueue }) => {
          if ((await workflowPollers(client, taskQueue)) === 0) reject(new NoWorkerPollingError(taskQueue, client.options.namespace));
        })
        .catch(() => undefined); // describe failing: `op` reports the trouble itself
    }, afterMs);
    timer.unref?.();
  });
  op.catch(() => undefined); // `op` may settle after the check rejected: never an unhandled rejection
  try {
    return await Promise.race([op, check]);
  } finally {
    clearTimeout(timer);
  }
}
