import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { NEW_TASKS_QUERY_MAX_IDS, type KlingClient, type KlingTask } from '../kling/index.js';
import { batchTrackedTasksQuery, type TrackedBatchTask } from '../contract/batch-messages.js';
import { taskUpdatedSignal } from '../contract/messages.js';
import { taskSnapshot } from './task-snapshot.js';

export interface WatchBatchInput {
  batchId: string;
  batchRunId: string;
  intervalMs: number;
}

/** Counters of one watcher (its heartbeat details, kept across attempts; its result when the batch no longer needs it). */
export interface BatchWatchStats {
  ticks: number;
  /** `GET /tasks` calls made (each with up to 20 ids). */
  statusCalls: number;
  /** Of which failed (the items' own fallback polls cover them). */
  failedCalls: number;
  /** Items woken with a new status. */
  signals: number;
  /** Most items looked up in one tick. */
  peakTracked: number;
}

/** Heartbeats while waiting: cancellation reaches an activity only through a heartbeat. */
const HEARTBEAT_EVERY_MS = 5_000;

/**
 * The batch's status watcher (NEW §3.6): every `intervalMs` it asks the batch (a query, nothing written to its
 * history) which new-standard items are in flight, looks their tasks up by external id 20 per `GET /tasks`, and
 * signals each item whose status changed with what it read. Signals the item cannot use are harmless: an item
 * acts on a reading only when it is about the task it waits on (see TaskWatch.onUpdate). A failed lookup is
 * logged and counted, never thrown: the items' own slow polls are the fallback. Runs until the batch cancels it.
 */
export async function watchBatchTasks(deps: { kling: KlingClient }, input: WatchBatchInput): Promise<BatchWatchStats> {
  const context = Context.current();
  const { client, log } = context;
  const stats: BatchWatchStats = {
    ticks: 0,
    statusCalls: 0,
    failedCalls: 0,
    signals: 0,
    peakTracked: 0,
    ...(context.info.heartbeatDetails as Partial<BatchWatchStats> | undefined),
  };
  // After a retry this is empty again: the current statuses are sent once more, which the items shrug off.
  const sent = new Map<string, string>();
  const batch = client.workflow.getHandle(input.batchId, input.batchRunId);

  for (;;) {
    const tracked = await batch.query(batchTrackedTasksQuery);
    stats.ticks++;
    stats.peakTracked = Math.max(stats.peakTracked, tracked.length);
    const byExternalId = new Map(tracked.map((t) => [t.externalTaskId, t]));
    for (const id of sent.keys()) if (!byExternalId.has(id)) sent.delete(id);

    for (let first = 0; first < tracked.length; first += NEW_TASKS_QUERY_MAX_IDS) {
      const chunk = tracked.slice(first, first + NEW_TASKS_QUERY_MAX_IDS);
      let tasks: KlingTask[];
      try {
        stats.statusCalls++;
        tasks = await deps.kling.getTasks(
          chunk.map((t) => t.externalTaskId),
          { by: 'externalTaskId', signal: context.cancellationSignal },
        );
      } catch (err) {
        if (context.cancellationSignal.aborted) throw err;
        stats.failedCalls++;
        log.warn('batched status lookup failed; its items fall back to their own polls', {
          ids: chunk.length,
          error: err instanceof Error ? err.message : String(err),
        });
        continue;
      }
      for (const task of tasks) {
        const item = task.externalTaskId === undefined ? undefined : byExternalId.get(task.externalTaskId);
        if (item === undefined || task.status === 'submitted' || sent.get(item.externalTaskId) === task.status) continue;
        await wake(item, task);
      }
      context.heartbeat(stats);
    }
    context.heartbeat(stats);
    const wakeAt = Date.now() + input.intervalMs;
    for (let left = input.intervalMs; left > 0; left = wakeAt - Date.now()) {
      await context.sleep(Math.min(left, HEARTBEAT_EVERY_MS));
      context.heartbeat(stats);
    }
  }

  async function wake(item: TrackedBatchTask, task: KlingTask): Promise<void> {
    const snapshot = await taskSnapshot(deps.kling, task, { signal: context.cancellationSignal, warn: (m, a) => log.warn(m, a) });
    try {
      await client.workflow.getHandle(item.workflowId).signal(taskUpdatedSignal, { status: task.status, taskId: task.taskId, snapshot });
      stats.signals++;
    } catch (err) {
      // The item ended meanwhile (its own poll got there first): nothing to wake.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    sent.set(item.externalTaskId, task.status);
  }
}
