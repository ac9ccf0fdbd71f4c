import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { COST_MEMO_KEY, externalTaskIdFor } from '../contract/constants.js';
import { FailureType } from '../contract/failure-types.js';
import type {
  GenerateVideoInput,
  GenerateVideoResult,
  GenerationPhase,
  GenerationPlan,
  StoredVideo,
  SubmittedTask,
} from '../contract/generation.js';
import type { GenerationOutcome } from '../contract/outcome.js';
import { KlingModel, KlingPhase, KlingTaskId } from '../contract/search-attributes.js';
import { checkAccountBalance, findTaskActivity, rehostActivity, statusActivity, validateActivity, validateLocalActivity } from './activity-proxies.js';
import { ApprovalGate } from './approval-gate.js';
import { tellBatchTaskEnded } from './batch-item.js';
import { BudgetHolds } from './budget-holds.js';
import { CostLedger, DEFAULT_DRIFT_TOLERANCE } from './cost-ledger.js';
import { failureDetails, storedLocation, timedInto } from './phase.js';
import { progressQuery, taskUpdatedSignal } from '../contract/messages.js';
import { klingMetrics } from './metrics-sink.js';
import { outcomeOf } from './outcome-of.js';
import { TaskWatch, WAIT_IN_ACTIVITY_PATCH } from './poll-loop.js';
import { SearchAttributeBatch } from './search-attribute-batch.js';
import { SlotAdmission } from './slot-admission.js';
import type { SlotTask } from '../contract/slot-messages.js';
import { submitExplicitly } from './submission.js';
import { toWorkflowFailure, withTaskReference, type TaskReference } from './workflow-failure.js';

/**
 * Histories recorded before cost accounting (memo upserts, balance guard, the `cancelled` phase) replay on the
 * old path; new executions record this marker and take the new one.
 */
const COSTS_PATCH = 'kling-costs-v1';

/** Histories recorded before callbacks announcing `processing` stopped waking the poll loop replay as woken. */
const END_HINTS_PATCH = 'kling-end-hints-v1';

const CONTENT_POLICY = /risk|policy|moderat|sensitive|violat|inappropriate|prohibit/i;

/**
 * Durable Kling video generation: validate → (approval gate) → budgets → submit → poll on workflow timers until
 * a deadline → download and rehost → permanent location. Fails only with typed, non-retryable
 * ApplicationFailures (see FailureType); survives worker crashes without creating a second paid task or a second
 * object. Every end (success, failure, refusal, cancellation) records its cost (memo `COST_MEMO_KEY`, the
 * `progress` query) and reports it once to the metrics sink.
 */
export async function generateVideo(input: GenerateVideoInput): Promise<GenerateVideoResult> {
  const info = workflowInfo();
  // A run that records WAIT_IN_ACTIVITY_PATCH took every earlier patch's new path too: one marker instead of three.
  const lean = patched(WAIT_IN_ACTIVITY_PATCH);
  const costsV1 = lean || patched(COSTS_PATCH);
  const endHintsOnly = lean || patched(END_HINTS_PATCH);
  const attributes = new SearchAttributeBatch(lean);
  const startedAt = Date.now();
  const timings = { validating: 0, approving: 0, submitting: 0, generating: 0, rehosting: 0, total: 0 };
  let phase: GenerationPhase = 'validating';
  let plan: GenerationPlan | undefined;
  let task: SubmittedTask | undefined;
  let submissions = 0;
  let deadlineAt: number | undefined;
  let outcome: GenerationOutcome | undefined;
  /** Set once a create may have reached Kling: from then on every failure names the task to collect (withTaskReference). */
  let pendingCreate: TaskReference | undefined;
  const ledger = new CostLedger();
  const watch = new TaskWatch((current, of) => ledger.observed(of.taskId, current.status, current.unitsDeducted), {
    wakeOnEndHintsOnly: endHintsOnly,
    waitInActivity: lean,
    attributes,
  });
  const gate = new ApprovalGate();
  const holds = new BudgetHolds(info.taskQueue, info.workflowId);
  const slots = new SlotAdmission(info.taskQueue);

  setHandler(progressQuery, () => ({
    phase,
    klingTaskId: task?.taskId,
    externalTaskId: task?.externalTaskId,
    klingStatus: watch.snapshot?.status,
    polls: watch.polls,
    submissions,
    elapsedMs: Date.now() - startedAt,
    deadlineAt,
    approval: gate.state,
    submission: ledger.submission,
    outcome,
    costs: ledger.record(),
    slot: slots.view,
  }));
  setHandler(taskUpdatedSignal, (update) => watch.onUpdate(update));

  /**
   * The phase carries what waited for it (the model, the task id, Kling's final status): one upsert. A phase
   * that the next one follows within the same workflow task (`validating`, a local activity) may wait too.
   */
  const enter = (next: GenerationPhase, details: string, { deferred = false } = {}) => {
    phase = next;
    if (deferred) attributes.defer([{ key: KlingPhase, value: next }]);
    else attributes.flush([{ key: KlingPhase, value: next }]);
    setCurrentDetails(`**${next}** — ${details}`);
  };
  /** Phases the run entered: the metrics sink gets durations for these only (none for phases never reached). */
  const reached = new Set<string>();
  const timed = <T>(name: keyof typeof timings, fn: () => Promise<T>): Promise<T> => {
    reached.add(name);
    return timedInto(timings, name, fn);
  };
  const saveMemo = () => {
    if (costsV1) upsertMemo({ [COST_MEMO_KEY]: ledger.record() });
  };
  /** Every end goes through here exactly once: memo, metrics sink, drift warning. */
  const finish = (how: GenerationOutcome) => {
    outcome = ledger.outcome = how;
    timings.total = Date.now() - startedAt;
    if (ledger.drift)
      log.warn('Kling deducted more or less than estimated (credit drift)', {
        estimatedCredits: ledger.estimate?.credits,
        driftCredits: ledger.driftCredits,
        tolerance: ledger.tolerance,
        klingTaskId: task?.taskId,
      });
    saveMemo();
    klingMetrics.generationFinished({
      outcome: how,
      // Known from the plan, or (validation refused before one existed) the model the request named.
      model: plan?.model ?? requestedModel,
      standard: plan?.standard,
      creditsEstimated: plan?.estimate.credits,
      creditsActual: ledger.actualCredits,
      creditDrift: ledger.drift,
      driftCredits: ledger.driftCredits,
      phaseDurationsMs: Object.fromEntries(Object.entries(timings).filter(([k]) => reached.has(k))),
    });
  };
  const requestedModel = typeof input.request?.model === 'string' && input.request.model.length <= 100 ? input.request.model : undefined;
  const creditsOf = (units: number | undefined) => (units === undefined || !plan ? undefined : units * plan.estimate.creditsPerUnit);
  const terminal = () => watch.terminal(task?.taskId);

  try {
    enter('validating', 'checking the request against the model catalog and budget', { deferred: true });
    const validate = lean ? validateLocalActivity(input) : validateActivity(input);
    plan = await timed('validating', () => validate(input, { firstExecutionRunId: info.firstExecutionRunId }));
    attributes.defer([{ key: KlingModel, value: plan.model }]);
    ledger.estimate = plan.estimate;
    ledger.model = plan.model;
    ledger.tolerance = plan.driftTolerance ?? DEFAULT_DRIFT_TOLERANCE;
    ledger.requestSha256 = plan.requestSha256;
    // A re-run collects the task an earlier run of this id left for the same request: nothing new is spent.
    let earlier = plan.earlierTask;

    const approval = plan.approval;
    if (approval && !earlier && plan.estimate.credits > approval.aboveCredits) {
      enter('awaiting_approval', `${plan.estimate.credits} credits est. is above the approval threshold of ${approval.aboveCredits}: send the \`approve\` or \`reject\` Update`);
      saveMemo();
      ledger.approvedBy = await timed('approving', () => gate.wait(plan!.estimate.credits, approval.aboveCredits, approval.timeoutMs));
      log.info('generation approved', { by: ledger.approvedBy, estimatedCredits: plan.estimate.credits });
    }

    for (;;) {
      const holdKey = `${info.workflowId}/${info.firstExecutionRunId}/${submissions + 1}`;
      task = earlier ? collectEarlier(earlier) : await submitNew(plan, holdKey);
      earlier = undefined;
      pendingCreate = { taskId: task.taskId, externalTaskId: task.externalTaskId, standard: task.standard, kind: task.kind };
      ledger.submitted(task.taskId, task.externalTaskId);
      saveMemo();
      attributes.defer([{ key: KlingTaskId, value: task.taskId }]);
      if (deadlineAt === undefined) deadlineAt = Date.now() + plan.deadlineMs;

      enter('generating', `Kling task \`${task.taskId}\`, deadline ${new Date(deadlineAt).toISOString()}`);
      const done = await timed('generating', () => watch.waitForTerminal(task!, plan!, deadlineAt!));
      await holds.settle(holdKey, creditsOf(done.unitsDeducted));
      await slots.release(holdKey);
      if (done.status === 'succeeded') break;

      const message = done.statusMessage ?? 'no reason given';
      const policy = CONTENT_POLICY.test(message);
      if (!policy && ledger.tasks.length <= plan.resubmitOnFailure) {
        log.warn('Kling task failed; resubmitting', { taskId: task.taskId, message, submissions, unitsDeducted: done.unitsDeducted });
        continue;
      }
      const deducted = done.unitsDeducted === undefined ? 'Kling reported no deduction' : `Kling reported deducting ${done.unitsDeducted} units`;
      throw ApplicationFailure.create({
        type: FailureType.VideoGenerationFailed,
        message: `Kling task ${task.taskId} failed: ${message} (${deducted})`,
        nonRetryable: true,
        details: [
          {
            taskId: task.taskId,
            externalTaskId: task.externalTaskId,
            statusMessage: message,
            contentPolicy: policy,
            submissions,
            // Observed, never assumed: null when Kling reported nothing for the failed task.
            unitsDeducted: done.unitsDeducted ?? null,
            creditsDeducted: creditsOf(done.unitsDeducted) ?? null,
            estimatedCredits: plan.estimate.credits,
          },
        ],
      });
    }

    tellBatchTaskEnded();
    const stored = await rehostTask(plan, task);
    finish('succeeded');
    enter('completed', `stored at \`${stored.uri}\` (${stored.size} bytes)`);
    return resultOf(plan, task, stored);
  } catch (err) {
    if (isCancellation(err)) return await onCancelled(err);
    phase = 'failed';
    const failure = pendingCreate ? withTaskReference(toWorkflowFailure(err), pendingCreate) : toWorkflowFailure(err);
    // Refused before a plan existed (maxCredits): the failure's details still know the estimate; the memo keeps it.
    // The memo's content only (the same upsert command): no patch (docs/architecture.md, "Payload-only changes").
    if (!ledger.estimate && failure.type === FailureType.BudgetExceeded) ledger.refusedBeforePlan(failure.details?.[0], requestedModel);
    await CancellationScope.nonCancellable(async () => {
      attributes.flush([{ key: KlingPhase, value: 'failed' }]);
      await holds.closeAll();
      await slots.closeAll(stillRunning());
      const how = outcomeOf(failure, ledger.tasks.length > 0);
      finish(how);
      setCurrentDetails(failureDetails(failure, how, info.workflowId));
    });
    throw failure;
  }

  /** The next paid submission, under this run's next external id: balance guard, daily budget, then the create. */
  async function submitNew(p: GenerationPlan, holdKey: string): Promise<SubmittedTask> {
    submissions++;
    const externalTaskId = externalTaskIdFor(info.workflowId, info.firstExecutionRunId, submissions);
    enter('submitting', `submission ${submissions} as \`${externalTaskId}\` (${p.model}, ${p.estimate.credits} credits est.)`);
    if (costsV1) {
      await timed('submitting', async () => {
        // The balance guard answers at once when the worker has it off; both refuse with BudgetExceeded.
        // Asked only when the worker has the guard on (older runs always asked; it answered at once when off).
        if (!lean || p.balanceGuard !== false) await checkAccountBalance({ estimatedCredits: p.estimate.credits, creditsPerUnit: p.estimate.creditsPerUnit });
        await holds.reserve(p, holdKey);
      });
      // Recorded before the create is sent: a run terminated mid-create still tells a re-run which task to look for.
      ledger.pendingExternalTaskId = externalTaskId;
      saveMemo();
    }
    await slots.acquire(p, holdKey, { standard: p.standard, kind: p.kind, externalTaskId }, (a) =>
      enter('waiting_for_slot', `position ${a.position} in the queue of \`${p.slots!.bucket}\` (${a.holders} of ${a.limit} slots held); submission ${submissions} follows the grant`),
    );
    if (phase === 'waiting_for_slot') {
      // Granted: the details say so at once; the KlingPhase attribute moves on at `generating` (one event less).
      phase = 'submitting';
      setCurrentDetails(`**submitting** — slot granted; submission ${submissions} as \`${externalTaskId}\``);
    }
    pendingCreate = { externalTaskId, standard: p.standard, kind: p.kind };
    const slot = slots.refusalTarget(holdKey);
    const submitted = await timed('submitting', () =>
      submitExplicitly(p, { request: input.request, externalTaskId, ...(slot ? { slot } : {}) }, (round, message) => {
        holds.submitted(holdKey);
        ledger.submission = 'unknown';
        setCurrentDetails(`**submitting** — submission unknown (round ${round}): ${message}; looking \`${externalTaskId}\` up again before any resubmission`);
        saveMemo();
      }),
    );
    holds.submitted(holdKey);
    return submitted;
  }

  /** The task an earlier run of this workflow id left for the same request (plan.earlierTask): collected, not paid again. */
  function collectEarlier(earlier: NonNullable<GenerationPlan['earlierTask']>): SubmittedTask {
    enter('submitting', `collecting Kling task \`${earlier.taskId}\` (${earlier.status}) that run ${earlier.fromRunId} of this workflow id left for the same request: nothing new is submitted`);
    return { taskId: earlier.taskId, externalTaskId: earlier.externalTaskId, standard: earlier.standard, kind: earlier.kind, adopted: true };
  }

  async function rehostTask(p: GenerationPlan, t: SubmittedTask): Promise<StoredVideo> {
    enter('rehosting', `downloading Kling task \`${t.taskId}\` into \`${p.objectName}\``);
    return timed('rehosting', () => rehostActivity(p)({ task: t, objectName: p.objectName, plan: p, unitsDeducted: watch.snapshot!.unitsDeducted }));
  }

  function resultOf(p: GenerationPlan, t: SubmittedTask, stored: StoredVideo, extra: Partial<GenerateVideoResult> = {}): GenerateVideoResult {
    return {
      ...storedLocation(stored),
      klingTaskId: t.taskId,
      externalTaskId: t.externalTaskId,
      model: p.model,
      standard: p.standard,
      credits: { estimated: p.estimate.credits, actual: ledger.actualCredits, driftCredits: ledger.driftCredits, drift: ledger.drift },
      submissions,
      polls: watch.polls,
      timingsMs: timings,
      lint: p.lint,
      ...(ledger.approvedBy ? { approvedBy: ledger.approvedBy } : {}),
      ...extra,
    };
  }

  /**
   * Cancellation. Before submission nothing was spent: the workflow ends cancelled with outcome
   * `cancelled_before_submit`. After it, Kling cannot stop the task: outcome `abandoned_billed` with the task id
   * (and the deduction, when Kling already reports it), or with `collectAfterCancel` the task is awaited and its
   * video stored anyway (outcome `collected_after_cancel`, the workflow completes with the result). Temporal
   * drops a cancelled workflow's details, so callers read the record from the memo or the `progress` query.
   */
  async function onCancelled(cancellation: unknown): Promise<GenerateVideoResult> {
    return CancellationScope.nonCancellable(async () => {
      if (!costsV1) {
        finish(task ? 'abandoned_billed' : 'cancelled_before_submit');
        setCurrentDetails(task ? `**cancelled** — after submission: Kling task \`${task.taskId}\` cannot be stopped and is billed` : '**cancelled** — before submission: nothing is charged');
        throw cancellation;
      }
      if (!task && ledger.submission === 'unknown' && plan) {
        // A create may have landed: one more lookup decides whether a paid task exists.
        const found = await lookUp(plan).catch(() => null);
        if (found) {
          task = found;
          ledger.submitted(found.taskId, found.externalTaskId);
        }
      }
      if (!task || !plan) {
        ledger.cancelled = 'before_submit';
        enter('cancelled', 'cancelled before submission: nothing was sent to Kling, nothing is charged');
        await holds.closeAll();
        await slots.closeAll(undefined);
        finish('cancelled_before_submit');
        throw cancellation;
      }
      ledger.cancelled = 'after_submit';
      const t = task;
      const p = plan;
      if (p.collectAfterCancel) {
        try {
          if (!terminal()) {
            enter('generating', `cancelled after submission; collecting the billed Kling task \`${t.taskId}\` anyway (collectAfterCancel)`);
            await timed('generating', () => watch.waitForTerminal(t, p, deadlineAt ?? Date.now() + p.deadlineMs));
          }
          await holds.closeAll();
          if (watch.snapshot?.status === 'succeeded') {
            const stored = await rehostTask(p, t);
            finish('collected_after_cancel');
            enter('completed', `cancelled after submission, collected anyway: stored at \`${stored.uri}\``);
            return resultOf(p, t, stored, { collectedAfterCancel: true });
          }
        } catch (err) {
          log.warn('collecting the cancelled generation failed; recording it as abandoned', { taskId: t.taskId, error: err instanceof Error ? err.message : String(err) });
        }
      } else if (!terminal()) {
        // Polling stops; one last look records a deduction Kling may already report.
        try {
          watch.observe(await statusActivity(p, 0)(t), t);
        } catch {
          // Unknown stays unknown: never assumed.
        }
      }
      await holds.closeAll();
      await slots.closeAll(stillRunning());
      enter('cancelled', `cancelled after submission: Kling task \`${t.taskId}\` cannot be stopped and is billed`);
      finish('abandoned_billed');
      throw cancellation;
    });
  }

  /** The task that may still run on Kling (and hold its slot) when the run ends: created or maybe created, not seen ending. */
  function stillRunning(): SlotTask | undefined {
    // pendingCreate's kind is always one of the plan's (a TaskReference is looser only to read failure details).
    return pendingCreate && !terminal() ? { ...pendingCreate, kind: pendingCreate.kind as SlotTask['kind'] } : undefined;
  }

  async function lookUp(p: GenerationPlan): Promise<SubmittedTask | null> {
    return findTaskActivity(p)({ request: input.request, externalTaskId: externalTaskIdFor(info.workflowId, info.firstExecutionRunId, submissions) });
  }
}
