import type { KlingTask } from '../kling/index.js';

/** Options of a LookupSchedule. */
export interface LookupScheduleOptions {
  /** The batch's `batchPolling.interval`: the longest wait between two lookups while tasks are in flight. */
  intervalMs: number;
}

/** What the schedule knows of one tracked item's task. */
interface TaskTiming {
  /** When the next lookup should include this task (worker clock, ms). */
  dueAt: number;
  /** The task ended: nothing to wait for (it stays tracked until its item gives its slot back). */
  ended: boolean;
}

/** Lookup timing after an end was seen: a little after the expected end, so the end is there when we look. */
const MARGIN_MS = 250;
/** Never two lookups closer than this (or the interval, when it is shorter). */
const MIN_GAP_MS = 500;
/** How many recent generation times the estimate is taken from. */
const RECENT_DURATIONS = 20;

/**
 * When the batch's watcher should look its in-flight tasks up (watchBatchTasks). A fixed tick notices an end
 * half an interval late on average, and every wave of a bucket's slots pays it; this schedule looks a task up when
 * it is due instead:
 *
 * - Generation time is learned from the batch's own tasks: Kling's `updated_at − created_at` of the tasks seen
 *   `succeeded` (the lower quartile of the last 20, so most tasks are not yet due when looked up; failures end at
 *   any time and teach nothing).
 * - A task seen running is due at its `created_at` + that time + 250 ms; once overdue, every tenth of that time
 *   (at least 500 ms, at most the interval). Before any end was seen, a quarter of the interval after each sighting.
 * - A task not found yet (its item waits for an account slot) was created after that lookup at the earliest, so it
 *   is due one generation time later (the interval before one is known).
 * - A task never looked up yet (just tracked) was created after the previous look at the tracked list at the
 *   earliest: the same rule from then. The watcher's first look finds tasks of unknown age: looked up at once.
 * - Whatever the above, a lookup at least every interval while any tracked task has not ended (the old fixed tick
 *   stays the bound), and never two closer than 500 ms.
 *
 * Every lookup carries every tracked task (up to 20 per call), so one due task brings the others' news along.
 * `created_at` is Kling's clock, compared with the worker's: a skew of a few seconds moves the lookups by as much.
 */
export class LookupSchedule {
  readonly #intervalMs: number;
  readonly #timings = new Map<string, TaskTiming>();
  readonly #durations: number[] = [];
  #lastLookupAt: number | undefined;
  #lastTrackedAt: number | undefined;

  constructor(options: LookupScheduleOptions) {
    this.#intervalMs = Math.max(1, options.intervalMs);
  }

  /** The generation time the schedule expects (ms), once one of the batch's tasks was seen succeeded. */
  get expectedMs(): number | undefined {
    if (this.#durations.length === 0) return undefined;
    const sorted = [...this.#durations].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 4)];
  }

  /** The tracked items' external ids as the batch answered at `now`: new ones are timed, gone ones forgotten. */
  track(ids: readonly string[], now: number): void {
    const current = new Set(ids);
    for (const id of this.#timings.keys()) if (!current.has(id)) this.#timings.delete(id);
    // Created after the previous look at the list at the earliest (it was not tracked then). At the first look
    // (a new watcher, or one retried after its worker was lost) nothing is known: looked up at once.
    const dueAt = (this.#lastTrackedAt ?? -Infinity) + (this.expectedMs ?? this.#intervalMs);
    for (const id of ids) if (!this.#timings.has(id)) this.#timings.set(id, { dueAt, ended: false });
    this.#lastTrackedAt = now;
  }

  /** When the next lookup is due; undefined while no tracked task is waited on. */
  nextLookupAt(): number | undefined {
    let next: number | undefined;
    for (const timing of this.#timings.values()) if (!timing.ended) next = Math.min(next ?? Infinity, timing.dueAt);
    if (next === undefined) return undefined;
    if (this.#lastLookupAt === undefined) return next;
    return Math.max(Math.min(next, this.#lastLookupAt + this.#intervalMs), this.#lastLookupAt + this.#minGapMs());
  }

  /** Whether a lookup is due at `now`. */
  isDue(now: number): boolean {
    const next = this.nextLookupAt();
    return next !== undefined && next <= now;
  }

  /**
   * What a lookup at `now` read: `looked` are the ids it asked for, `found` the tasks Kling answered with (unknown
   * ids are absent). Ids of a failed call are passed to `failed` instead.
   */
  observe(looked: readonly string[], found: readonly KlingTask[], now: number): void {
    this.#lastLookupAt = now;
    const byId = new Map(found.filter((t) => t.externalTaskId !== undefined).map((t) => [t.externalTaskId!, t]));
    // Each end is learned once: an ended task stays tracked (and looked up) until its item gives its slot back.
    for (const id of looked) {
      const task = byId.get(id);
      if (task !== undefined && this.#timings.get(id)?.ended === false) this.#learn(task);
    }
    const expected = this.expectedMs;
    for (const id of looked) {
      const timing = this.#timings.get(id);
      if (timing === undefined || timing.ended) continue;
      const task = byId.get(id);
      if (task === undefined) {
        // Not created yet: it cannot end before one generation time from now.
        timing.dueAt = now + (expected ?? this.#intervalMs);
      } else if (task.status === 'succeeded' || task.status === 'failed') {
        timing.ended = true;
      } else if (expected !== undefined && task.createdAt !== undefined) {
        const end = Math.min(task.createdAt, now) + expected + MARGIN_MS;
        timing.dueAt = end > now ? end : now + this.#overdueStepMs(expected);
      } else {
        timing.dueAt = now + Math.max(this.#minGapMs(), this.#intervalMs / 4);
      }
    }
  }

  /** A lookup of these ids failed at `now`: they are asked again after the interval (their items' polls cover them). */
  failed(ids: readonly string[], now: number): void {
    this.#lastLookupAt = now;
    for (const id of ids) {
      const timing = this.#timings.get(id);
      if (timing !== undefined && !timing.ended) timing.dueAt = now + this.#intervalMs;
    }
  }

  #learn(task: KlingTask): void {
    if (task.status !== 'succeeded' || task.createdAt === undefined || task.updatedAt === undefined) return;
    const duration = task.updatedAt - task.createdAt;
    if (!(duration > 0)) return;
    this.#durations.push(duration);
    if (this.#durations.length > RECENT_DURATIONS) this.#durations.shift();
  }

  #minGapMs(): number {
    return Math.min(MIN_GAP_MS, this.#intervalMs);
  }

  #overdueStepMs(expected: number): number {
    return Math.min(this.#intervalMs, Math.max(this.#minGapMs(), expected / 10));
  }
}
