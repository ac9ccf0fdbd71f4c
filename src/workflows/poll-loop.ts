import { ActivityFailure, ApplicationFailure, condition, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { FailureType } from '../shared/failure-types.js';
import type { GenerationPlan, SubmittedTask, TaskSnapshot } from '../shared/generation.js';
import { KlingStatus } from '../shared/search-attributes.js';
import { statusActivity } from './activity-proxies.js';
import type { TaskUpdate } from './messages.js';
import { nextPollInterval } from './poll-schedule.js';

/** What the poll loop needs from a plan: the schedule, the status activity's timeout and the optional phase deadlines. */
export type PollSettings = Pick<GenerationPlan, 'poll' | 'activityTimeoutsMs' | 'queuedDeadlineMs' | 'processingDeadlineMs'>;

/** Statuses a batch watcher's reading may carry (it never reports `submitted` or `unknown`). */
const READABLE = new Set<string>(['processing', 'succeeded', 'failed']);

/** Which deadline ended a wait: the overall cap, or one of the two phase deadlines. */
export type DeadlineKind = 'overall' | 'queued' | 'processing';

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
  /** A batch watcher's reading, used instead of the next status query when it is about the task being waited on. */
  #reported: { taskId: string; snapshot: TaskSnapshot } | undefined;

  constructor(
    private readonly onObserved: (current: TaskSnapshot, of: SubmittedTask) => void = () => undefined,
    /**
     * Only hints of an end (`succeeded`, `failed`, or no status) wake the wait: a callback announcing `processing`
     * would cost a status query that changes nothing. Off for histories recorded before (they replay as woken).
     */
    private readonly options: { wakeOnEndHintsOnly?: boolean } = {},
  ) {}

  /** Early wake-up (a callback): consumed by the next wait, so one arriving mid-check is not lost. */
  wake(): void {
    this.#wakeUp = true;
  }

  /**
   * The `klingTaskUpdated` signal: a reading from a batch's watcher is kept for the next check and wakes the wait;
   * a callback's hint wakes it (only when it announces an end, with `wakeOnEndHintsOnly`).
   */
  onUpdate(update: TaskUpdate | undefined): void {
    const snapshot = update?.snapshot;
    if (update?.taskId !== undefined && snapshot !== undefined && READABLE.has(snapshot.status)) this.#reported = { taskId: update.taskId, snapshot };
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
   */
  async waitForTerminal(submitted: SubmittedTask, settings: PollSettings, deadline: number): Promise<TaskSnapshot> {
    let interval = settings.poll.initialMs;
    const waitStartedAt = Date.now();
    let processingSince: number | undefined;
    const nearest = (): { at: number; kind: DeadlineKind } => {
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
    };
    for (;;) {
      const limit = nearest();
      const remaining = limit.at - Date.now();
      if (remaining <= 0) throw this.#timedOut(submitted, limit.kind, limit.at, settings);
      await condition(() => this.#wakeUp, Math.min(interval, remaining));
      // Consumed only now: a callback that arrived during the submit or the previous status check wakes this wait at once.
      this.#wakeUp = false;
      interval = nextPollInterval(interval, settings.poll.backoffCoefficient, settings.poll.maxMs);

      const reported = this.#reported?.taskId === submitted.taskId ? this.#reported.snapshot : undefined;
      this.#reported = undefined;
      let current: TaskSnapshot;
      if (reported !== undefined) current = reported;
      else {
        try {
          current = await statusActivity(settings, deadline - Date.now())(submitted);
        } catch (err) {
          // Kling unreachable until past the deadline: report the timeout, with the cause.
          if (err instanceof ActivityFailure && Date.now() >= deadline) throw this.#timedOut(submitted, 'overall', deadline, settings, err);
          throw err;
        }
        this.polls++;
      }
      if (current.status !== this.snapshot?.status) {
        upsertSearchAttributes([{ key: KlingStatus, value: current.status }]);
        setCurrentDetails(`**generating** — Kling task \`${submitted.taskId}\` is ${current.status} after ${this.polls} polls`);
      }
      this.observe(current, submitted);
      if (current.status === 'processing' && processingSince === undefined) processingSince = Date.now();
      if (current.status === 'succeeded' || current.status === 'failed') return current;
    }
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
