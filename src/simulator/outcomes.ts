import type { TaskSpec } from './task-spec.js';

/** How a task should end. An empty decision means "succeed after the normal schedule". */
export interface OutcomeDecision {
  /** The task fails with this `task_status_msg` / `message` (REF §4.3, NEW §3.5). */
  readonly fail?: string;
  /** The task reaches `processing` and never finishes. */
  readonly neverFinish?: boolean;
}

/** What an outcome rule sees: the validated request plus the new task's id and creation time. */
export type OutcomeRuleInput = TaskSpec & { readonly id: string; readonly createdAt: number };

/** Decides per task how it ends; return undefined for the default (success). */
export type OutcomeRule = (task: OutcomeRuleInput) => OutcomeDecision | undefined;

const FAIL_MARKER = /\[sim:fail(?:\s+([^\]]*))?\]/;
const NEVER_MARKER = /\[sim:never\]/;
const DEFAULT_FAILURE = 'Simulated failure';

export interface OutcomePlannerSettings {
  readonly promptMarkers: boolean;
  readonly neverFinish: boolean;
  readonly rule: OutcomeRule | undefined;
}

/**
 * Chooses each new task's outcome. Precedence: a failure registered for its external id, then `failNext`,
 * then prompt markers, then the `outcome` rule, then the global `neverFinish`, else success.
 */
export class OutcomePlanner {
  #failNext: string[] = [];
  #failByExternalId = new Map<string, string>();

  constructor(private readonly settings: OutcomePlannerSettings) {}

  /** The next created task fails with `message` (queued: call twice for two tasks). */
  failNext(message: string): void {
    this.#failNext.push(message);
  }

  /** The task created with this external id fails with `message`. */
  failExternalId(externalId: string, message: string): void {
    this.#failByExternalId.set(externalId, message);
  }

  reset(): void {
    this.#failNext = [];
    this.#failByExternalId.clear();
  }

  plan(task: OutcomeRuleInput): OutcomeDecision {
    const byExternalId = task.externalId === undefined ? undefined : this.#failByExternalId.get(task.externalId);
    if (byExternalId !== undefined) {
      this.#failByExternalId.delete(task.externalId ?? '');
      return { fail: byExternalId };
    }
    const next = this.#failNext.shift();
    if (next !== undefined) return { fail: next };
    if (this.settings.promptMarkers && task.prompt !== undefined) {
      const failMatch = FAIL_MARKER.exec(task.prompt);
      if (failMatch !== null) return { fail: failMatch[1]?.trim() || DEFAULT_FAILURE };
      if (NEVER_MARKER.test(task.prompt)) return { neverFinish: true };
    }
    const ruled = this.settings.rule?.(task);
    if (ruled !== undefined && (ruled.fail !== undefined || ruled.neverFinish === true)) return ruled;
    return this.settings.neverFinish ? { neverFinish: true } : {};
  }
}
