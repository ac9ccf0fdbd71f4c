import { ApplicationFailure, CancellationScope, log, setCurrentDetails, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { COST_MEMO_KEY, externalTaskIdFor } from '../contract/constants.js';
import { FailureType } from '../contract/failure-types.js';
import type {
  GenerateVideoInput,
  GenerateVideoResult,
  GenerationPhase,
  GenerationPlan,
  GenerationProgress,
  StoredVideo,
  SubmissionTarget,
  SubmittedTask,
  TaskSnapshot,
} from '../contract/generation.js';
import type { GenerationOutcome } from '../contract/outcome.js';
import { KlingPhase } from '../contract/search-attributes.js';
import type { SlotTask } from '../contract/slot-messages.js';
import { checkAccountBalance, findTaskActivity, rehostActivity, statusActivity } from './activity-proxies.js';
import { ApprovalGate } from './approval-gate.js';
import { BudgetHolds } from './budget-holds.js';
import { CostLedger } from './cost-ledger.js';
import { klingMetrics } from './metrics-sink.js';
import { failureDetails, storedLocation, timedInto } from './phase.js';
import { TaskWatch } from './task-watch.js';
import { SearchAttributeBatch } from './search-attribute-batch.js';
import { SlotAdmission } from './slot-admission.js';
import { submitUntilKnown } from './submission.js';
import { outcomeOf, toWorkflowFailure, withTaskReference, type TaskReference } from './workflow-failure.js';

/** Kling's words for a refusal on content grounds: such a failure is never resubmitted. */
const CONTENT_POLICY = /risk|policy|moderat|sensitive|violat|inappropriate|prohibit/i;

/** Which path of each patch this run takes (see generateVideo). */
export interface RunPaths {
  /** 'kling-wait-in-activity-v1': the lean history. */
  lean: boolean;
  /** 'kling-costs-v1': cost memo, balance guard and budgets, the `cancelled` phase. */
  recordsCosts: boolean;
  /** 'kling-end-hints-v1': only callbacks announcing an end wake the wait. */
  wakesOnEndHintsOnly: boolean;
}

/**
 * The state of one generateVideo run and the steps that change it: the phase shown in the UI, the plan, the Kling
 * task, the cost ledger, the wait, the gate, budget holds and slots. generateVideo reads as the order of these
 * steps; every end (success, failure, cancellation) goes through `finish` exactly once.
 */
export class GenerationRun {
  readonly info = workflowInfo();
  readonly startedAt = Date.now();
  readonly timings = { validating: 0, approving: 0, submitting: 0, generating: 0, rehosting: 0, total: 0 };
  readonly attributes: SearchAttributeBatch;
  readonly ledger = new CostLedger();
  readonly watch: TaskWatch;
  readonly gate = new ApprovalGate();
  readonly holds: BudgetHolds;
  readonly slots: SlotAdmission;
  phase: GenerationPhase = 'validating';
  plan: GenerationPlan | undefined;
  task: SubmittedTask | undefined;
  submissions = 0;
  deadlineAt: number | undefined;
  outcome: GenerationOutcome | undefined;
  /** Set once a create may have reached Kling: from then on every failure names the task to collect (withTaskReference). */
  pendingCreate: TaskReference | undefined;
  /** Phases the run entered: the metrics sink gets durations for these only (none for phases never reached). */
  readonly #reached = new Set<string>();
  /** The model the request named (validation may refuse before a plan exists), for the metrics and the memo. */
  readonly requestedModel: string | undefined;

  constructor(
    readonly input: GenerateVideoInput,
    readonly paths: RunPaths,
  ) {
    this.attributes = new SearchAttributeBatch(paths.lean);
    this.watch = new TaskWatch((current, of) => this.ledger.observed(of.taskId, current.status, current.unitsDeducted), {
      wakeOnEndHintsOnly: paths.wakesOnEndHintsOnly,
      waitInActivity: paths.lean,
      attributes: this.attributes,
    });
    this.holds = new BudgetHolds(this.info.taskQueue, this.info.workflowId);
    this.slots = new SlotAdmission(this.info.taskQueue);
    const model = input.request?.model;
    this.requestedModel = typeof model === 'string' && model.length <= 100 ? model : undefined;
  }

  /** What the `progress` query answers. */
  progress(): GenerationProgress {
    return {
      phase: this.phase,
      klingTaskId: this.task?.taskId,
      externalTaskId: this.task?.externalTaskId,
      klingStatus: this.watch.snapshot?.status,
      polls: this.watch.polls,
      submissions: this.submissions,
      elapsedMs: Date.now() - this.startedAt,
      deadlineAt: this.deadlineAt,
      approval: this.gate.state,
      submission: this.ledger.submission,
      outcome: this.outcome,
      costs: this.ledger.record(),
      slot: this.slots.view,
    };
  }

  /**
   * The phase carries what waited for it (the model, the task id, Kling's final status): one upsert. A phase
   * that the next one follows within the same workflow task (`validating`, a local activity) may wait too.
   */
  enter(next: GenerationPhase, details: string, { deferred = false } = {}): void {
    this.phase = next;
    if (deferred) this.attributes.defer([{ key: KlingPhase, value: next }]);
    else this.attributes.flush([{ key: KlingPhase, value: next }]);
    setCurrentDetails(`**${next}** — ${details}`);
  }

  timed<T>(name: keyof GenerationRun['timings'], fn: () => Promise<T>): Promise<T> {
    this.#reached.add(name);
    return timedInto(this.timings, name, fn);
  }

  saveMemo(): void {
    if (this.paths.recordsCosts) upsertMemo({ [COST_MEMO_KEY]: this.ledger.record() });
  }

  creditsOf(units: number | undefined): number | undefined {
    return units === undefined || !this.plan ? undefined : units * this.plan.estimate.creditsPerUnit;
  }

  /** The last snapshot is terminal and belongs to the current task. */
  terminal(): boolean {
    return this.watch.terminal(this.task?.taskId);
  }

  /** Every end goes through here exactly once: memo, metrics sink, drift warning. */
  finish(how: GenerationOutcome): void {
    const { ledger, plan } = this;
    this.outcome = ledger.outcome = how;
    this.timings.total = Date.now() - this.startedAt;
    if (ledger.drift)
      log.warn('Kling deducted more or less than estimated (credit drift)', {
        estimatedCredits: ledger.estimate?.credits,
        driftCredits: ledger.driftCredits,
        tolerance: ledger.tolerance,
        klingTaskId: this.task?.taskId,
      });
    this.saveMemo();
    klingMetrics.generationFinished({
      outcome: how,
      // Known from the plan, or (validation refused before one existed) the model the request named.
      model: plan?.model ?? this.requestedModel,
      standard: plan?.standard,
      creditsEstimated: plan?.estimate.credits,
      creditsActual: ledger.actualCredits,
      creditDrift: ledger.drift,
      driftCredits: ledger.driftCredits,
      phaseDurationsMs: Object.fromEntries(Object.entries(this.timings).filter(([k]) => this.#reached.has(k))),
    });
  }

  /** The next paid submission, under this run's next external id: balance guard, daily budget, slot, then the create. */
  async submitNew(p: GenerationPlan, holdKey: string): Promise<SubmittedTask> {
    const { info, holds, slots, ledger } = this;
    this.submissions++;
    const submissions = this.submissions;
    const externalTaskId = externalTaskIdFor(info.workflowId, info.firstExecutionRunId, submissions);
    this.enter('submitting', `submission ${submissions} as \`${externalTaskId}\` (${p.model}, ${p.estimate.credits} credits est.)`);
    if (this.paths.recordsCosts) {
      await this.timed('submitting', async () => {
        // Both refuse with BudgetExceeded. The balance guard is asked only when the worker has it on (older runs
        // always asked; it answered at once when off).
        if (!this.paths.lean || p.balanceGuard !== false)
          await checkAccountBalance({ estimatedCredits: p.estimate.credits, creditsPerUnit: p.estimate.creditsPerUnit });
        await holds.reserve(p, holdKey);
      });
      // Recorded before the create is sent: a run terminated mid-create still tells a re-run which task to look for.
      ledger.pendingExternalTaskId = externalTaskId;
      this.saveMemo();
    }
    await slots.acquire(p, holdKey, { standard: p.standard, kind: p.kind, externalTaskId }, (a) =>
      this.enter(
        'waiting_for_slot',
        `position ${a.position} in the queue of \`${p.slots!.bucket}\` (${a.holders} of ${a.limit} slots held); submission ${submissions} follows the grant`,
      ),
    );
    if (this.phase === 'waiting_for_slot') {
      // Granted: the details say so at once; the KlingPhase attribute moves on at `generating` (one event less).
      this.phase = 'submitting';
      setCurrentDetails(`**submitting** — slot granted; submission ${submissions} as \`${externalTaskId}\``);
    }
    this.pendingCreate = { externalTaskId, standard: p.standard, kind: p.kind };
    const slot = slots.refusalTarget(holdKey);
    const submitted = await this.timed('submitting', () =>
      submitUntilKnown(p, { ...this.#target(p), externalTaskId, ...(slot ? { slot } : {}) }, (round, message) => {
        holds.submitted(holdKey);
        ledger.submission = 'unknown';
        setCurrentDetails(
          `**submitting** — submission unknown (round ${round}): ${message}; looking \`${externalTaskId}\` up again before any resubmission`,
        );
        this.saveMemo();
      }),
    );
    holds.submitted(holdKey);
    return submitted;
  }

  /** The task an earlier run of this workflow id left for the same request (plan.earlierTask): collected, not paid again. */
  collectEarlier(earlier: NonNullable<GenerationPlan['earlierTask']>): SubmittedTask {
    this.enter(
      'submitting',
      `collecting Kling task \`${earlier.taskId}\` (${earlier.status}) that run ${earlier.fromRunId} of this workflow id left for the same request: nothing new is submitted`,
    );
    return { taskId: earlier.taskId, externalTaskId: earlier.externalTaskId, standard: earlier.standard, kind: earlier.kind, adopted: true };
  }

  /** A task Kling reports `failed`: resubmitted (undefined) while allowed and not a content refusal, else the failure to end with. */
  failedTask(t: SubmittedTask, p: GenerationPlan, done: TaskSnapshot): ApplicationFailure | undefined {
    const message = done.statusMessage ?? 'no reason given';
    const policy = CONTENT_POLICY.test(message);
    if (!policy && this.ledger.tasks.length <= p.resubmitOnFailure) {
      log.warn('Kling task failed; resubmitting', { taskId: t.taskId, message, submissions: this.submissions, unitsDeducted: done.unitsDeducted });
      return undefined;
    }
    const deducted = done.unitsDeducted === undefined ? 'Kling reported no deduction' : `Kling reported deducting ${done.unitsDeducted} units`;
    return ApplicationFailure.create({
      type: FailureType.VideoGenerationFailed,
      message: `Kling task ${t.taskId} failed: ${message} (${deducted})`,
      nonRetryable: true,
      details: [
        {
          taskId: t.taskId,
          externalTaskId: t.externalTaskId,
          statusMessage: message,
          contentPolicy: policy,
          submissions: this.submissions,
          // Observed, never assumed: null when Kling reported nothing for the failed task.
          unitsDeducted: done.unitsDeducted ?? null,
          creditsDeducted: this.creditsOf(done.unitsDeducted) ?? null,
          estimatedCredits: p.estimate.credits,
        },
      ],
    });
  }

  async rehost(p: GenerationPlan, t: SubmittedTask): Promise<StoredVideo> {
    this.enter('rehosting', `downloading Kling task \`${t.taskId}\` into \`${p.objectName}\``);
    return this.timed('rehosting', () =>
      rehostActivity(p)({ task: t, objectName: p.objectName, plan: p, unitsDeducted: this.watch.snapshot!.unitsDeducted }),
    );
  }

  resultOf(p: GenerationPlan, t: SubmittedTask, stored: StoredVideo, extra: Partial<GenerateVideoResult> = {}): GenerateVideoResult {
    const { ledger } = this;
    return {
      ...storedLocation(stored),
      klingTaskId: t.taskId,
      externalTaskId: t.externalTaskId,
      model: p.model,
      standard: p.standard,
      credits: { estimated: p.estimate.credits, actual: ledger.actualCredits, driftCredits: ledger.driftCredits, drift: ledger.drift },
      submissions: this.submissions,
      polls: this.watch.polls,
      timingsMs: this.timings,
      lint: p.lint,
      ...(ledger.approvedBy ? { approvedBy: ledger.approvedBy } : {}),
      ...extra,
    };
  }

  /** A failure: typed, naming the task to collect once a create may have been sent; recorded, then thrown by the caller. */
  async failed(err: unknown): Promise<ApplicationFailure> {
    this.phase = 'failed';
    const failure = this.pendingCreate ? withTaskReference(toWorkflowFailure(err), this.pendingCreate) : toWorkflowFailure(err);
    // Refused before a plan existed (maxCredits): the failure's details still know the estimate; the memo keeps it.
    // The memo's content only (the same upsert command): no patch (docs/architecture.md, "Payload-only changes").
    if (!this.ledger.estimate && failure.type === FailureType.BudgetExceeded)
      this.ledger.refusedBeforePlan(failure.details?.[0], this.requestedModel);
    await CancellationScope.nonCancellable(async () => {
      this.attributes.flush([{ key: KlingPhase, value: 'failed' }]);
      await this.holds.closeAll();
      await this.slots.closeAll(this.stillRunning());
      const how = outcomeOf(failure, this.ledger.tasks.length > 0);
      this.finish(how);
      setCurrentDetails(failureDetails(failure, how, this.info.workflowId));
    });
    return failure;
  }

  /**
   * Cancellation. Before submission nothing was spent: the workflow ends cancelled with outcome
   * `cancelled_before_submit`. After it, Kling cannot stop the task: outcome `abandoned_billed` with the task id
   * (and the deduction, when Kling already reports it), or with `collectAfterCancel` the task is awaited and its
   * video stored anyway (outcome `collected_after_cancel`, the workflow completes with the result). Temporal
   * drops a cancelled workflow's details, so callers read the record from the memo or the `progress` query.
   */
  async cancelled(cancellation: unknown): Promise<GenerateVideoResult> {
    return CancellationScope.nonCancellable(async () => {
      const { ledger, holds, slots, watch } = this;
      if (!this.paths.recordsCosts) {
        this.finish(this.task ? 'abandoned_billed' : 'cancelled_before_submit');
        setCurrentDetails(
          this.task
            ? `**cancelled** — after submission: Kling task \`${this.task.taskId}\` cannot be stopped and is billed`
            : '**cancelled** — before submission: nothing is charged',
        );
        throw cancellation;
      }
      if (!this.task && ledger.submission === 'unknown' && this.plan) {
        // A create may have landed: one more lookup decides whether a paid task exists.
        const found = await this.#lookUp(this.plan).catch(() => null);
        if (found) {
          this.task = found;
          ledger.submitted(found.taskId, found.externalTaskId);
        }
      }
      if (!this.task || !this.plan) {
        ledger.cancelled = 'before_submit';
        this.enter('cancelled', 'cancelled before submission: nothing was sent to Kling, nothing is charged');
        await holds.closeAll();
        await slots.closeAll(undefined);
        this.finish('cancelled_before_submit');
        throw cancellation;
      }
      ledger.cancelled = 'after_submit';
      const t = this.task;
      const p = this.plan;
      if (p.collectAfterCancel) {
        try {
          if (!this.terminal()) {
            this.enter('generating', `cancelled after submission; collecting the billed Kling task \`${t.taskId}\` anyway (collectAfterCancel)`);
            await this.timed('generating', () => watch.waitForTerminal(t, p, this.deadlineAt ?? Date.now() + p.deadlineMs));
          }
          await holds.closeAll();
          if (watch.snapshot?.status === 'succeeded') {
            const stored = await this.rehost(p, t);
            this.finish('collected_after_cancel');
            this.enter('completed', `cancelled after submission, collected anyway: stored at \`${stored.uri}\``);
            return this.resultOf(p, t, stored, { collectedAfterCancel: true });
          }
        } catch (err) {
          log.warn('collecting the cancelled generation failed; recording it as abandoned', {
            taskId: t.taskId,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      } else if (!this.terminal()) {
        // The wait stops; one last look records a deduction Kling may already report.
        try {
          watch.observe(await statusActivity(p, 0)(t), t);
        } catch {
          // Unknown stays unknown: never assumed.
        }
      }
      await holds.closeAll();
      await slots.closeAll(this.stillRunning());
      this.enter('cancelled', `cancelled after submission: Kling task \`${t.taskId}\` cannot be stopped and is billed`);
      this.finish('abandoned_billed');
      throw cancellation;
    });
  }

  /** The task that may still run on Kling (and hold its slot) when the run ends: created or maybe created, not seen ending. */
  stillRunning(): SlotTask | undefined {
    const pending = this.pendingCreate;
    // pendingCreate's kind is always one of the plan's (a TaskReference is looser only to read failure details).
    return pending && !this.terminal() ? { ...pending, kind: pending.kind as SlotTask['kind'] } : undefined;
  }

  #lookUp(p: GenerationPlan): Promise<SubmittedTask | null> {
    const externalTaskId = externalTaskIdFor(this.info.workflowId, this.info.firstExecutionRunId, this.submissions);
    return findTaskActivity(p)({ ...this.#target(p), externalTaskId });
  }

  /**
   * What submit and the lookups are given: the create validation resolved (`plan.wire`), sent as is. Plans recorded
   * before it existed give the raw request (resolved at submission, as then): the same activities, only their input differs.
   */
  #target(p: GenerationPlan): SubmissionTarget {
    return p.wire ? { wire: p.wire } : { request: this.input.request };
  }
}
