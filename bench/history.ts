// Reading workflow histories for the benchmark: how many events a generation costs, and how long each
// activity waited in the task queue and ran (from the server's own event timestamps).
import type { Client, WorkflowHandle } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';

export type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** Every event of the workflow's (latest run's) history. */
export async function fetchEvents(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events ?? [];
}

export interface ActivitySpan {
  activityType: string;
  /** Scheduled → started: time the task waited for a worker slot. */
  scheduleToStartMs: number;
  /** Started → completed (or failed / timed out): the attempt that closed the activity. */
  runMs: number;
}

/** One span per activity that closed, in history order. */
export function activitySpans(events: HistoryEvent[]): ActivitySpan[] {
  const byScheduled = new Map<string, { type: string; scheduled: number; started?: number }>();
  const spans: ActivitySpan[] = [];
  for (const event of events) {
    const at = optionalTsToMs(event.eventTime) ?? 0;
    const id = String(event.eventId ?? '');
    if (event.activityTaskScheduledEventAttributes) {
      byScheduled.set(id, { type: event.activityTaskScheduledEventAttributes.activityType?.name ?? '?', scheduled: at });
      continue;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const entry = byScheduled.get(String(started.scheduledEventId ?? ''));
      if (entry) entry.started = at;
      continue;
    }
    const closed = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
    if (closed) {
      const entry = byScheduled.get(String(closed.scheduledEventId ?? ''));
      if (entry?.started !== undefined)
        spans.push({ activityType: entry.type, scheduleToStartMs: entry.started - entry.scheduled, runMs: at - entry.started });
    }
  }
  return spans;
}

/** Where one workflow's time went, from its history's server timestamps (ms). Overlaps are possible. */
export interface TimeBreakdown {
  /** First event (started) → last event (completed). */
  totalMs: number;
  /** Workflow tasks: waiting for the worker (scheduled → started) and being processed (started → completed). */
  workflowTaskQueueMs: number;
  workflowTaskRunMs: number;
  workflowTasks: number;
  activityQueueMs: number;
  activityRunMs: number;
  /** Durable timers (the poll waits). */
  timerMs: number;
}

export function timeBreakdown(events: HistoryEvent[]): TimeBreakdown {
  const at = (e: HistoryEvent | undefined) => optionalTsToMs(e?.eventTime) ?? 0;
  const byId = new Map<string, HistoryEvent>();
  const out: TimeBreakdown = {
    totalMs: at(events.at(-1)) - at(events[0]),
    workflowTaskQueueMs: 0,
    workflowTaskRunMs: 0,
    workflowTasks: 0,
    activityQueueMs: 0,
    activityRunMs: 0,
    timerMs: 0,
  };
  for (const event of events) {
    byId.set(String(event.eventId ?? ''), event);
    const started = event.workflowTaskStartedEventAttributes;
    if (started) out.workflowTaskQueueMs += at(event) - at(byId.get(String(started.scheduledEventId ?? '')));
    const completed = event.workflowTaskCompletedEventAttributes;
    if (completed) {
      out.workflowTaskRunMs += at(event) - at(byId.get(String(completed.startedEventId ?? '')));
      out.workflowTasks++;
    }
    const fired = event.timerFiredEventAttributes;
    if (fired) out.timerMs += at(event) - at(byId.get(String(fired.startedEventId ?? '')));
  }
  for (const span of activitySpans(events)) {
    out.activityQueueMs += span.scheduleToStartMs;
    out.activityRunMs += span.runMs;
  }
  return out;
}
