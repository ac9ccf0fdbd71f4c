/**
 * The task store and lifecycle. Status is derived from the injectable clock: `advanceAll(now)` applies every
 * transition that is due, in time order, stamping each with its scheduled time (so `updated_at` does not
 * depend on when someone looked). REF §4.3: submitted → processing → succeed | failed; `updated_at` changes
 * on each transition. Listeners see every transition — the hook future callbacks (REF §4.5, NEW §4) attach to.
 */
import { newTaskId } from './ids.js';
import type { OutcomeDecision } from './outcomes.js';
import type { TaskSpec } from './task-spec.js';

/** Canonical status; legacy presents `succeeded` as `succeed` (NEW §1.1). */
export type TaskStatus = 'submitted' | 'processing' | 'succeeded' | 'failed';

export const isTerminal = (status: TaskStatus): boolean => status === 'succeeded' || status === 'failed';

/** A result video published on the simulator's CDN. */
export interface PublishedVideo {
  readonly id: string;
  readonly token: string;
  /** Present only when a watermark was requested (NEW §3.5: "watermark_url was absent when no watermark was requested"). */
  readonly watermarkToken: string | undefined;
  /** Output duration in seconds as a string (REF §4.3: e.g. "5.1"; NEW §3.5 observed "3.041"). */
  readonly duration: string;
}

export interface SimTask {
  readonly id: string;
  readonly spec: TaskSpec;
  readonly createdAt: number;
  /** Units this task costs if it succeeds. */
  readonly units: number;
  /** When the task turns `processing`. */
  readonly processingAt: number;
  /** When the task reaches its terminal status; null = never. */
  finishAt: number | null;
  /** The planned failure message, if the task is to fail. */
  plannedFailure: string | undefined;
  status: TaskStatus;
  statusMessage: string;
  updatedAt: number;
  finishedAt: number | undefined;
  /**
   * Units actually deducted: set on success, and on failure only when the `failedTaskDeduction` option is set
   * (REF §6.3 "No credits will be deducted for failed tasks"; NEW §7.1: the cost of a failed task is unmeasured).
   */
  chargedUnits: number | undefined;
  videos: readonly PublishedVideo[];
}

export interface TaskTransition {
  readonly task: SimTask;
  readonly from: TaskStatus;
  readonly to: TaskStatus;
  readonly at: number;
}

export type TransitionListener = (transition: TaskTransition) => void;

export interface TaskSchedule {
  readonly submittedMs: number;
  readonly processingMs: number;
}

export interface TaskStoreDeps {
  /** Publishes the result videos of a task that just succeeded. */
  readonly publishVideos: (task: SimTask, finishedAt: number) => PublishedVideo[];
}

export class TaskStore {
  #tasks = new Map<string, SimTask>();
  #byExternalId = new Map<string, string>();
  #createRequests = new Map<string, number>();
  #listeners = new Set<TransitionListener>();
  #insertListeners = new Set<(task: SimTask) => void>();

  constructor(private readonly deps: TaskStoreDeps) {}

  /** Registers a transition listener; returns the unsubscribe function. */
  onTransition(listener: TransitionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Registers a listener for new tasks (callbacks watch tasks that carry a callback URL); returns the unsubscribe function. */
  onInsert(listener: (task: SimTask) => void): () => void {
    this.#insertListeners.add(listener);
    return () => this.#insertListeners.delete(listener);
  }

  newId(): string {
    return newTaskId((id) => this.#tasks.has(id));
  }

  /** Counts a create request that carried this external id (accepted or not). */
  recordCreateRequest(externalId: string): void {
    this.#createRequests.set(externalId, (this.#createRequests.get(externalId) ?? 0) + 1);
  }

  createRequestCount(externalId: string): number {
    return this.#createRequests.get(externalId) ?? 0;
  }

  insert(id: string, spec: TaskSpec, units: number, createdAt: number, schedule: TaskSchedule, outcome: OutcomeDecision): SimTask {
    const processingAt = createdAt + schedule.submittedMs;
    const task: SimTask = {
      id,
      spec,
      createdAt,
      units,
      processingAt,
      finishAt: outcome.neverFinish === true ? null : processingAt + schedule.processingMs,
      plannedFailure: outcome.fail,
      status: 'submitted',
      statusMessage: '',
      updatedAt: createdAt,
      finishedAt: undefined,
      chargedUnits: undefined,
      videos: [],
    };
    this.#tasks.set(id, task);
    if (spec.externalId !== undefined) this.#byExternalId.set(spec.externalId, id);
    for (const listener of this.#insertListeners) listener(task);
    return task;
  }

  get(id: string): SimTask | undefined {
    return this.#tasks.get(id);
  }

  getByExternalId(externalId: string): SimTask | undefined {
    const id = this.#byExternalId.get(externalId);
    return id === undefined ? undefined : this.#tasks.get(id);
  }

  /** All tasks in creation order. */
  all(): SimTask[] {
    return [...this.#tasks.values()];
  }

  /** Applies every transition due at `now`, across all tasks, in time order. */
  advanceAll(now: number): void {
    const due: { task: SimTask; at: number; to: TaskStatus }[] = [];
    for (const task of this.#tasks.values()) {
      if (task.status === 'submitted' && now >= task.processingAt) due.push({ task, at: task.processingAt, to: 'processing' });
      if (!isTerminal(task.status) && task.finishAt !== null && now >= task.finishAt) {
        due.push({ task, at: task.finishAt, to: task.plannedFailure === undefined ? 'succeeded' : 'failed' });
      }
    }
    due.sort((a, b) => a.at - b.at || Number(a.to !== 'processing') - Number(b.to !== 'processing'));
    for (const step of due) this.#transition(step.task, step.to, step.at);
  }

  /** Forces a task to succeed now (after passing through `processing`). */
  complete(id: string, now: number): SimTask {
    const task = this.#requireUnfinished(id, now);
    task.plannedFailure = undefined;
    this.#finishNow(task, 'succeeded', now);
    return task;
  }

  /** Forces a task to fail now with `message`. */
  fail(id: string, message: string, now: number): SimTask {
    const task = this.#requireUnfinished(id, now);
    task.plannedFailure = message;
    this.#finishNow(task, 'failed', now);
    return task;
  }

  clear(): void {
    this.#tasks.clear();
    this.#byExternalId.clear();
    this.#createRequests.clear();
  }

  #requireUnfinished(id: string, now: number): SimTask {
    this.advanceAll(now);
    const task = this.#tasks.get(id);
    if (task === undefined) throw new Error(`unknown task ${id}`);
    if (isTerminal(task.status)) throw new Error(`task ${id} already finished (${task.status})`);
    return task;
  }

  #finishNow(task: SimTask, to: 'succeeded' | 'failed', now: number): void {
    if (task.status === 'submitted') this.#transition(task, 'processing', now);
    task.finishAt = now;
    this.#transition(task, to, now);
  }

  #transition(task: SimTask, to: TaskStatus, at: number): void {
    const from = task.status;
    if (from === to || isTerminal(from)) return;
    task.status = to;
    task.updatedAt = at;
    if (to === 'succeeded') {
      task.finishedAt = at;
      task.chargedUnits = task.units;
      task.videos = this.deps.publishVideos(task, at);
    } else if (to === 'failed') {
      task.finishedAt = at;
      task.statusMessage = task.plannedFailure ?? 'Task failed';
    }
    for (const listener of this.#listeners) listener({ task, from, to, at });
  }
}
