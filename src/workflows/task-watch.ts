import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setCurrentDetails,
  TimeoutFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { RetryState, type SearchAttributeUpdatePair } from '@temporalio/common';
import { FailureType } from '../contract/failure-types.js';
import type { GenerationPlan, SubmittedTask, TaskSnapshot } from '../contract/generation.js';
import { KlingStatus } from '../contract/search-attributes.js';
import { awaitChangeActivity, statusActivity, type WaitSchedule } from './activity-proxies.js';
import type { AwaitTaskChangeInput, AwaitTaskChangeResult } from '../activities/await-task-change.js';
import { TASK_UNCHANGED, type TaskUnchangedDetails } from '../contract/wait.js';
import type { TaskUpdate } from '../contract/messages.js';
import { nextPollInterval } from './poll-schedule.js';
import type { SearchAttributeBatch } from './search-attribute-batch.js';

/** What the poll loop needs from a plan: the schedule, the status activity's timeout and the optional phase deadlines. */
export type PollSettings = Pick<GenerationPlan, 'poll' | 'activityTimeoutsMs' | 'queuedDeadlineMs' | 'processingDeadlineMs'>;

/** Statuses a batch watcher's reading may carry (it never reports `submitted` or `unknown`). */
const READABLE = new Set<string>(['processing', 'succeeded', 'failed']);

/** Which deadline ended a wait: the overall cap, or one of the two phase deadlines. */
export type DeadlineKind = 'overall' | 'queued' | 'processing';

/**
 * Histories recorded before the poll loop re-checked a callback's unconfirmed end replay without the re-checks.
 * TaskWatch asks for it itself, at the first disagreement (a point every replay reaches identically: a signal
 * and a status query, both in the history), so histories without one never record the marker.
 */
export const CALLBACK_RECHECK_PATCH = 'kling-callback-recheck-v1';

/**
 * Histories recorded while the waiting lived in workflow timers (a timer, then a status activity, per check) replay
 * on that path; new executions wait inside activity retries (awaitVideoTaskChange): one activity per status change
 * instead of ~11 history events and two workflow tasks per check. generateVideo and adoptVideo ask for it once, at
 * their start, and tell TaskWatch (`waitInActivity`); it also stands for the patches that came before it (see
 * generateVideo), so a new run records one marker, not three.
 */
export const WAIT_IN_ACTIVITY_PATCH = 'kling-wait-in-activity-v1';

/**
 * The shortest wait Temporal's server honours between activity retries (measured: shorter retry intervals are
 * stretched to about a second). Checks due sooner (sub-second schedules: tests, demos) run on workflow timers.
 */
export const MIN_RETRY_INTERVAL_MS = 1_000;

/** First re-check after a callback's end was not confirmed; each further one waits twice as long. */
export const CALLBACK_RECHECK_INITIAL_MS = 1_000;

/**
 * What TaskWatch asks of the workflow runtime: time, timers and conditions, the two status activities, a scope a
 * wake-up can cancel, patches and the status search attribute. The default (WORKFLOW_RUNTIME) is the workflow
 * APIs themselves; unit tests pass fakes so the waiting logic runs without a server
 * (test/workflows/unit/task-watch.test.ts).
 */
export interface WatchRuntime {
  /** Workflow time (in the sandbox, `Date.now()` is deterministic). */
  now(): number;
  /** `condition(fn, timeout)`: true when `fn` became true, false when the timeout passed first. */
  condition(fn: () => boolean, timeoutMs: number): Promise<boolean>;
  patched(patchId: string): boolean;
  upsertSearchAttributes(pairs: SearchAttributeUpdatePair[]): void;
  setCurrentDetails(details: string): void;
  /** One status check (`statusActivity`). */
  statusActivity(settings: PollSettings, remainingMs: number): (task: SubmittedTask) => Promise<TaskSnapshot>;
  /** A wait for a status change inside activity retries (`awaitChangeActivity`). */
  awaitChangeActivity(
    settings: PollSettings,
    schedule: WaitSchedule,
    untilDeadlineMs: number,
  ): (input: AwaitTaskChangeInput) => Promise<AwaitTaskChangeResult>;
  /** Runs `fn` in a cancellation scope of its own; `cancel` cancels that scope only. */
  cancellable<T>(fn: () => Promise<T>): { result: Promise<T>; cancel(): void };
  /** The workflow itself is being cancelled (the current scope is considered cancelled). */
  cancelRequested(): boolean;
}

/** The workflow APIs, as TaskWatch always used them. */
export const WORKFLOW_RUNTIME: WatchRuntime = {
  now: () => Date.now(),
  condition: (fn, timeoutMs) => condition(fn, timeoutMs),
  patched,
  upsertSearchAttributes,
  setCurrentDetails,
  statusActivity,
  awaitChangeActivity,
  cancellable(fn) {
    const scope = new CancellationScope();
    return { result: scope.run(fn), cancel: () => scope.cancel() };
  },
  cancelRequested: () => CancellationScope.current().consideredCancelled,
};

const FAILURE_OF: Record<DeadlineKind, FailureType> = {
  overall: FailureType.VideoGenerationTimedOut,
  queued: FailureType.VideoQueuedTooLong,
  processing: FailureType.VideoProcessingTooLong,
};

/**
 * Waits for one Kling task to reach a terminal status, shared by generateVideo and adoptVideo: a short status
 * activity, then a durable timer that a `klingTaskUpdated` signal (a Kling callback) may cut short. Holds what
 * it observed (polls, last snapshot) for the workflow's `progress` query. Without phase deadlines it issues
 * exactly the commands generateVideo always did, so recorded histories replay.
 */
export class TaskWatch {
  polls = 0;
  snapshot: TaskSnapshot | undefined;
  /** The task the snapshot belongs to (a resubmission starts a new task). */
  snapshotOf: string | undefined;
  #wakeUp = false;
  /** The wait in activity retries under way, cancelled by a wake-up (WAIT_IN_ACTIVITY_PATCH). */
  #waiting: { cancel(): void } | undefined;
  /**
   * Tasks a callback said had ended (`undefined`: a hint naming no task), since the last wait consumed them.
   * Kling may call back before its own task query says so; a claim the query then contradicts is re-checked soon.
   */
  readonly #endClaims = new Set<string | undefined>();
  /** A batch watcher's reading, used instead of the next status query when it is about the task being waited on. */
  #reported: { taskId: string; snapshot: TaskSnapshot } | undefined;

  constructor(
    private readonly onObserved: (current: TaskSnapshot, of: SubmittedTask) => void = () => undefined,
    /**
     * Only hints of an end (`succeeded`, `failed`, or no status) wake the wait: a callback announcing `processing`
     * would cost a status query that changes nothing. Off for histories recorded before (they replay as woken).
     */
    private readonly options: {
      wakeOnEndHintsOnly?: boolean;
      /** Wait inside activity retries (WAIT_IN_ACTIVITY_PATCH); otherwise on workflow timers, as histories before it did. */
      waitInActivity?: boolean;
      /** Where a terminal status goes (merged into the caller's next upsert); without it, upserted at once. */
      attributes?: SearchAttributeBatch;
      /** The workflow APIs it uses (WORKFLOW_RUNTIME); unit tests pass fakes. */
      runtime?: WatchRuntime;
    } = {},
  ) {
    this.#rt = options.runtime ?? WORKFLOW_RUNTIME;
  }

  readonly #rt: WatchRuntime;

  /** Early wake-up (a callback): consumed by the next wait, so one arriving mid-check is not lost. */
  wake(): void {
    this.#wakeUp = true;
    this.#waiting?.cancel();
  }

  /**
   * The `klingTaskUpdated` signal: a reading from a batch's watcher is kept for the next check and wakes the wait;
   * a callback's hint wakes it (only when it announces an end, with `wakeOnEndHintsOnly`), and an announced end
   * is remembered so that a status query contradicting it is followed by quick re-checks (see waitForTerminal).
   */
  onUpdate(update: TaskUpdate | undefined): void {
    const snapshot = update?.snapshot;
    if (update?.taskId !== undefined && snapshot !== undefined && READABLE.has(snapshot.status)) this.#reported = { taskId: update.taskId, snapshot };
    else if (update?.status === 'succeeded' || update?.status === 'failed') this.#endClaims.add(update.taskId);
    else if (this.options.wakeOnEndHintsOnly && (update?.status === 'submitted' || update?.status === 'processing')) return;
    this.wake();
  }

  observe(current: TaskSnapshot, of: SubmittedTask): void {
    this.snapshot = current;
    this.snapshotOf = of.taskId;
    this.onObserved(current, of);
  }

  /** The last snapshot is terminal and belongs to `taskId`. */
  terminal(taskId: string | undefined): boolean {
    return this.snapshotOf === taskId && (this.snapshot?.status === 'succeeded' || this.snapshot?.status === 'failed');
  }

  /**
   * Polls `submitted` until `succeeded` or `failed`. Fails with VideoGenerationTimedOut at `deadline` (epoch ms,
   * the overall cap), with VideoQueuedTooLong when the task is still `submitted` (or not visible yet)
   * `queuedDeadlineMs` after this wait began, and with VideoProcessingTooLong when it is still `processing`
   * `processingDeadlineMs` after it was first seen processing.
   *
   * A callback announcing an end that the status query does not confirm (Kling's query can lag its callbacks)
   * starts re-checks at CALLBACK_RECHECK_INITIAL_MS, doubling, for as long as they come sooner than the normal
   * schedule would: without them the real end would wait for the next (slow, with callbacks) fallback poll,
   * since the callback that would have announced it may already have been spent. Doubling bounds the extra queries
   * a forged or mistaken callback can cause to a handful per normal interval.
   */
  async waitForTerminal(submitted: SubmittedTask, settings: PollSettings, deadline: number): Promise<TaskSnapshot> {
    if (this.options.waitInActivity) return this.#waitInActivity(submitted, settings, deadline);
    return this.#waitOnTimers(submitted, settings, deadline);
  }

  /**
   * The nearest of the three deadlines for the task's current status: the overall cap, the queued deadline (from
   * `waitStartedAt`, while the task is not processing yet) and the processing deadline (from `processingSince`).
   */
  #nearest(submitted: SubmittedTask, settings: PollSettings, deadline: number, waitStartedAt: number, processingSince: number | undefined) {
    let best: { at: number; kind: DeadlineKind } = { at: deadline, kind: 'overall' };
    const status = this.snapshotOf === submitted.taskId ? this.snapshot?.status : undefined;
    if (settings.queuedDeadlineMs !== undefined && (status === undefined || status === 'submitted' || status === 'unknown')) {
      const at = waitStartedAt + settings.queuedDeadlineMs;
      if (at < best.at) best = { at, kind: 'queued' };
    }
    if (settings.processingDeadlineMs !== undefined && status === 'processing' && processingSince !== undefined) {
      const at = processingSince + settings.processingDeadlineMs;
      if (at < best.at) best = { at, kind: 'processing' };
    }
    return best;
  }

  /** What woke the wait since it last looked, consumed: a wake-up, an end a callback claimed, a batch's reading. */
  #takeWakeUp(taskId: string): { woken: boolean; endClaimed: boolean; reported: TaskSnapshot | undefined } {
    const woken = this.#wakeUp;
    this.#wakeUp = false;
    const endClaimed = this.#endClaims.has(taskId) || this.#endClaims.has(undefined);
    this.#endClaims.clear();
    const reported = this.#reported?.taskId === taskId ? this.#reported.snapshot : undefined;
    this.#reported = undefined;
    return { woken, endClaimed, reported };
  }

  /** Records a reading: the search attribute and the Current Details on a change, the snapshot, the onObserved hook. */
  #record(submitted: SubmittedTask, current: TaskSnapshot): void {
    if (current.status !== this.snapshot?.status) {
      const pair = [{ key: KlingStatus, value: current.status }];
      const terminal = current.status === 'succeeded' || current.status === 'failed';
      if (terminal && this.options.attributes) this.options.attributes.defer(pair);
      else this.#rt.upsertSearchAttributes(pair);
      this.#rt.setCurrentDetails(`**generating** — Kling task \`${submitted.taskId}\` is ${current.status} after ${this.polls} polls`);
    }
    this.observe(current, submitted);
  }

  /**
   * The wait since WAIT_IN_ACTIVITY_PATCH: one awaitVideoTaskChange activity per status change, its retry policy
   * the poll schedule and its scheduleToClose the nearest deadline. A wake-up (a callback, a batch's reading)
   * cancels the activity; the workflow then checks at once (or uses the reading). A callback's end the check does
   * not confirm is re-checked after CALLBACK_RECHECK_INITIAL_MS, doubling up to the normal interval.
   */
  async #waitInActivity(submitted: SubmittedTask, settings: PollSettings, deadline: number): Promise<TaskSnapshot> {
    let interval = settings.poll.initialMs;
    const waitStartedAt = this.#rt.now();
    let processingSince: number | undefined;
    /** The next re-check's first wait while a callback's end is unconfirmed; undefined: the normal schedule. */
    let recheckMs: number | undefined;
    for (;;) {
      const limit = this.#nearest(submitted, settings, deadline, waitStartedAt, processingSince);
      const remaining = limit.at - this.#rt.now();
      if (remaining <= 0) throw this.#timedOut(submitted, limit.kind, limit.at, settings);
      const { woken, endClaimed, reported } = this.#takeWakeUp(submitted.taskId);
      let current: TaskSnapshot;
      if (reported !== undefined) current = reported;
      else if (woken) current = await this.#checkNow(submitted, settings, deadline);
      else if (interval < MIN_RETRY_INTERVAL_MS) {
        // A sub-second check: the server would stretch a retry, so this one waits on a timer.
        if (await this.#rt.condition(() => this.#wakeUp, Math.min(interval, remaining))) continue;
        interval = nextPollInterval(interval, settings.poll.backoffCoefficient, settings.poll.maxMs);
        current = await this.#checkNow(submitted, settings, deadline);
      } else {
        const seen = this.snapshotOf === submitted.taskId ? this.snapshot?.status : undefined;
        // Re-checks double up to the normal interval inside one wait, which then goes on at that interval.
        const schedule: WaitSchedule =
          recheckMs !== undefined
            ? { initialMs: recheckMs, coefficient: 2, maxMs: interval }
            : { initialMs: interval, coefficient: settings.poll.backoffCoefficient, maxMs: settings.poll.maxMs };
        const waiting = this.#rt.cancellable(() =>
          this.#rt.awaitChangeActivity(
            settings,
            schedule,
            remaining,
          )({ task: submitted, knownStatus: seen === 'processing' ? 'processing' : 'submitted', firstCheckAfterInterval: true }),
        );
        this.#waiting = waiting;
        try {
          const waited = await waiting.result;
          current = waited.snapshot;
          this.polls += waited.checks;
          for (let i = 0; i < waited.checks; i++) {
            if (recheckMs === undefined) interval = nextPollInterval(interval, settings.poll.backoffCoefficient, settings.poll.maxMs);
            else if ((recheckMs *= 2) >= interval) recheckMs = undefined;
          }
        } catch (err) {
          // Woken: the loop looks at once (a cancellation of the workflow itself cancels the outer scope too).
          if (isCancellation(err) && this.#wakeUp && !this.#rt.cancelRequested()) continue;
          if (!(err instanceof ActivityFailure && (err.cause instanceof TimeoutFailure || err.retryState === RetryState.TIMEOUT))) throw err;
          this.#noteLastCheck(submitted, err);
          const left = limit.at - this.#rt.now();
          if (left <= 0) throw this.#timedOut(submitted, limit.kind, limit.at, settings, err);
          // The server gives up when the schedule's next check would come after the deadline: look once more at it.
          if (await this.#rt.condition(() => this.#wakeUp, left)) continue;
          current = await this.#checkNow(submitted, settings, deadline);
        } finally {
          this.#waiting = undefined;
        }
      }
      this.#record(submitted, current);
      if (current.status === 'processing' && processingSince === undefined) processingSince = this.#rt.now();
      if (current.status === 'succeeded' || current.status === 'failed') return current;
      // Re-checks help only when they come sooner than the schedule's next check; a new claim does not restart them.
      if (endClaimed && recheckMs === undefined && CALLBACK_RECHECK_INITIAL_MS < interval) recheckMs = CALLBACK_RECHECK_INITIAL_MS;
    }
  }

  /**
   * A wait that ended at a deadline carries its last check in the last attempt's failure (TaskUnchangedDetails):
   * its checks count as polls, and the status it saw is what the timeout reports.
   */
  #noteLastCheck(submitted: SubmittedTask, err: ActivityFailure): void {
    let cause: unknown = err.cause;
    if (cause instanceof TimeoutFailure) cause = cause.cause;
    if (!(cause instanceof ApplicationFailure) || cause.type !== TASK_UNCHANGED) return;
    const last = cause.details?.[0] as TaskUnchangedDetails | undefined;
    this.polls += last?.checks ?? 0;
    if (last?.status !== undefined && last.status !== 'unknown') this.#record(submitted, { status: last.status });
  }

  /** One status query now (a timer's check, or after a wake-up). Kling unreachable until past the deadline reports the timeout, with the cause. */
  async #checkNow(submitted: SubmittedTask, settings: PollSettings, deadline: number): Promise<TaskSnapshot> {
    try {
      const current = await this.#rt.statusActivity(settings, deadline - this.#rt.now())(submitted);
      this.polls++;
      return current;
    } catch (err) {
      if (err instanceof ActivityFailure && this.#rt.now() >= deadline) throw this.#timedOut(submitted, 'overall', deadline, settings, err);
      throw err;
    }
  }

  /** The wait before WAIT_IN_ACTIVITY_PATCH: a durable timer, then a status activity, per check. Unchanged, for replay. */
  async #waitOnTimers(submitted: SubmittedTask, settings: PollSettings, deadline: number): Promise<TaskSnapshot> {
    let interval = settings.poll.initialMs;
    /** The next re-check's wait while a callback's end is unconfirmed; undefined: the normal schedule. */
    let recheckMs: number | undefined;
    const waitStartedAt = this.#rt.now();
    let processingSince: number | undefined;
    const nearest = () => this.#nearest(submitted, settings, deadline, waitStartedAt, processingSince);
    for (;;) {
      const limit = nearest();
      const remaining = limit.at - this.#rt.now();
      if (remaining <= 0) throw this.#timedOut(submitted, limit.kind, limit.at, settings);
      await this.#rt.condition(() => this.#wakeUp, Math.min(recheckMs ?? interval, remaining));
      // Consumed only now: a callback that arrived during the submit or the previous status check wakes this wait at
      // once; an end claim arriving during the status query below may postdate its answer, so it is weighed against
      // the next query instead.
      const { endClaimed, reported } = this.#takeWakeUp(submitted.taskId);
      interval = nextPollInterval(interval, settings.poll.backoffCoefficient, settings.poll.maxMs);
      const current = reported ?? (await this.#checkNow(submitted, settings, deadline));
      this.#record(submitted, current);
      if (current.status === 'processing' && processingSince === undefined) processingSince = this.#rt.now();
      if (current.status === 'succeeded' || current.status === 'failed') return current;
      recheckMs = this.#nextRecheck(recheckMs, endClaimed, interval);
    }
  }

  /**
   * The wait after a query that found the task unfinished: a re-check sooner than `interval` while an end a callback
   * announced is unconfirmed (a new claim does not restart the doubling), else undefined (the normal schedule).
   * patched() is asked only at the first disagreement, so histories without one replay unchanged.
   */
  #nextRecheck(recheckMs: number | undefined, endClaimed: boolean, interval: number): number | undefined {
    let next: number | undefined;
    if (recheckMs !== undefined) next = recheckMs * 2;
    else if (endClaimed && this.#rt.patched(CALLBACK_RECHECK_PATCH)) next = CALLBACK_RECHECK_INITIAL_MS;
    return next !== undefined && next < interval ? next : undefined;
  }

  #timedOut(submitted: SubmittedTask, kind: DeadlineKind, at: number, settings: PollSettings, cause?: Error): ApplicationFailure {
    const last = this.snapshotOf === submitted.taskId ? this.snapshot?.status : undefined;
    const what =
      kind === 'queued'
        ? `was still queued (${last ?? 'not visible yet'}) ${settings.queuedDeadlineMs} ms after the wait began (queuedDeadline)`
        : kind === 'processing'
          ? `was still processing ${settings.processingDeadlineMs} ms after it started (processingDeadline)`
          : `did not finish by the deadline (${new Date(at).toISOString()}); last status ${last ?? 'unknown'}`;
    return ApplicationFailure.create({
      type: FAILURE_OF[kind],
      message:
        `Kling task ${submitted.taskId} ${what}. It may still finish and be billed: collect it later with ` +
        `\`kling-video adopt ${submitted.taskId}\` (or the adoptVideo workflow with the \`adopt\` detail).`,
      nonRetryable: true,
      details: [
        {
          taskId: submitted.taskId,
          externalTaskId: submitted.externalTaskId,
          lastStatus: last,
          polls: this.polls,
          deadline: kind,
          deadlineAt: at,
          /** Ready-made adoptVideo input. */
          adopt: { taskId: submitted.taskId, standard: submitted.standard, kind: submitted.kind },
        },
      ],
      cause,
    });
  }
}
