import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { NEW_TASKS_QUERY_MAX_IDS, type KlingClient, type KlingTask } from '../kling/index.js';
import { batchTrackedTasksQuery, type TrackedBatchTask } from '../contract/batch-messages.js';
import { taskUpdatedSignal } from '../contract/messages.js';
import { LookupSchedule } from './batch-lookup-schedule.js';
import type { RecentVideoUrls } from './recent-video-urls.js';
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
/** How often the watcher asks the batch which items are in flight, between lookups. */
const TRACKED_EVERY_MS = 1_000;

/**
 * The batch's status watcher (NEW §3.6): it asks the batch every second (a query, nothing written to its history)
 * which new-standard items are in flight, looks their tasks up by external id 20 per `GET /tasks` when one of them
 * is due (LookupSchedule: at the generation time learned from the batch's ended tasks, and at least every
 * `intervalMs`), and signals each item whose status changed with what it read. Signals the item cannot use are harmless: an item
 * acts on a reading only when it is about the task it waits on (see TaskWatch.onUpdate). A failed lookup is
 * logged and counted, never thrown: the items' own slow polls are the fallback. Runs until the batch cancels it.
 */
export async function watchBatchTasks(deps: { kling: KlingClient; recentUrls?: RecentVideoUrls }, input: WatchBatchInput): Promise<BatchWatchStats> {
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
  // Learned again after a retry; the first lookup comes at once (LookupSchedule.track).
  const schedule = new LookupSchedule({ intervalMs: input.intervalMs });

  for (;;) {
    const tracked = await batch.query(batchTrackedTasksQuery);
    const byExternalId = new Map(tracked.map((t) => [t.externalTaskId, t]));
    for (const id of sent.keys()) if (!byExternalId.has(id)) sent.delete(id);
    schedule.track([...byExternalId.keys()], Date.now());

    if (schedule.isDue(Date.now())) {
      stats.ticks++;
      stats.peakTracked = Math.max(stats.peakTracked, tracked.length);
      for (let first = 0; first < tracked.length; first += NEW_TASKS_QUERY_MAX_IDS) {
        const ids = tracked.slice(first, first + NEW_TASKS_QUERY_MAX_IDS).map((t) => t.externalTaskId);
        let tasks: KlingTask[];
        try {
          stats.statusCalls++;
          tasks = await deps.kling.getTasks(ids, { by: 'externalTaskId', signal: context.cancellationSignal });
        } catch (err) {
          if (context.cancellationSignal.aborted) throw err;
          stats.failedCalls++;
          schedule.failed(ids, Date.now());
          log.warn('batched status lookup failed; its items fall back to their own polls', {
            ids: ids.length,
            error: err instanceof Error ? err.message : String(err),
          });
          continue;
        }
        schedule.observe(ids, tasks, Date.now());
        for (const task of tasks) {
          const item = task.externalTaskId === undefined ? undefined : byExternalId.get(task.externalTaskId);
          if (item === undefined || task.status === 'submitted' || sent.get(item.externalTaskId) === task.status) continue;
          await wake(item, task);
        }
        context.heartbeat(stats);
      }
    }
    context.heartbeat(stats);
    // Until the next lookup is due, a fresh look at the tracked list every second (a query: no Kling call), so an
    // item that starts meanwhile is timed from when it appeared.
    const now = Date.now();
    const wakeAt = Math.min(schedule.nextLookupAt() ?? Infinity, now + Math.min(input.intervalMs, TRACKED_EVERY_MS));
    await context.sleep(Math.max(0, Math.min(wakeAt - now, HEARTBEAT_EVERY_MS)));
  }

  async function wake(item: TrackedBatchTask, task: KlingTask): Promise<void> {
    deps.recentUrls?.remember(task);
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
