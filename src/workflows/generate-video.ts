import { isCancellation, log, patched, setHandler } from '@temporalio/workflow';
import type { GenerateVideoInput, GenerateVideoResult } from '../contract/generation.js';
import { progressQuery, taskUpdatedSignal } from '../contract/messages.js';
import { KlingModel, KlingTaskId } from '../contract/search-attributes.js';
import { validateActivity, validateLocalActivity } from './activity-proxies.js';
import { tellBatchTaskEnded } from './batch-item.js';
import { DEFAULT_DRIFT_TOLERANCE } from './cost-ledger.js';
import { GenerationRun } from './generation-run.js';
import { WAIT_IN_ACTIVITY_PATCH } from './task-watch.js';

/**
 * Histories recorded before cost accounting (memo upserts, balance guard, the `cancelled` phase) replay on the
 * old path; new executions record this marker and take the new one.
 */
const COSTS_PATCH = 'kling-costs-v1';

/** Histories recorded before callbacks announcing `processing` stopped waking the poll loop replay as woken. */
const END_HINTS_PATCH = 'kling-end-hints-v1';

/**
 * Durable Kling video generation: validate → (approval gate) → budgets → (account slot) → submit → wait for Kling
 * until a deadline → download and rehost → permanent location. Fails only with typed, non-retryable
 * ApplicationFailures (see FailureType); survives worker crashes without creating a second paid task or a second
 * object. Every end (success, failure, refusal, cancellation) records its cost (memo `COST_MEMO_KEY`, the
 * `progress` query) and reports it once to the metrics sink. The run's state and steps live in GenerationRun.
 */
export async function generateVideo(input: GenerateVideoInput): Promise<GenerateVideoResult> {
  // A run that records WAIT_IN_ACTIVITY_PATCH took every earlier patch's new path too: one marker instead of three.
  const lean = patched(WAIT_IN_ACTIVITY_PATCH);
  const run = new GenerationRun(input, { lean, recordsCosts: lean || patched(COSTS_PATCH), wakesOnEndHintsOnly: lean || patched(END_HINTS_PATCH) });
  const { info, ledger, watch, holds, slots } = run;
  setHandler(progressQuery, () => run.progress());
  setHandler(taskUpdatedSignal, (update) => watch.onUpdate(update));

  try {
    run.enter('validating', 'checking the request against the model catalog and budget', { deferred: true });
    const validate = lean ? validateLocalActivity(input) : validateActivity(input);
    const plan = (run.plan = await run.timed('validating', () => validate(input, { firstExecutionRunId: info.firstExecutionRunId })));
    run.attributes.defer([{ key: KlingModel, value: plan.model }]);
    ledger.estimate = plan.estimate;
    ledger.model = plan.model;
    ledger.tolerance = plan.driftTolerance ?? DEFAULT_DRIFT_TOLERANCE;
    ledger.requestSha256 = plan.requestSha256;
    // A re-run collects the task an earlier run of this id left for the same request: nothing new is spent.
    let earlier = plan.earlierTask;

    const approval = plan.approval;
    if (approval && !earlier && plan.estimate.credits > approval.aboveCredits) {
      run.enter(
        'awaiting_approval',
        `${plan.estimate.credits} credits est. is above the approval threshold of ${approval.aboveCredits}: send the \`approve\` or \`reject\` Update`,
      );
      run.saveMemo();
      ledger.approvedBy = await run.timed('approving', () => run.gate.wait(plan.estimate.credits, approval.aboveCredits, approval.timeoutMs));
      log.info('generation approved', { by: ledger.approvedBy, estimatedCredits: plan.estimate.credits });
    }

    for (;;) {
      const holdKey = `${info.workflowId}/${info.firstExecutionRunId}/${run.submissions + 1}`;
      const task = (run.task = earlier ? run.collectEarlier(earlier) : await run.submitNew(plan, holdKey));
      earlier = undefined;
      run.pendingCreate = { taskId: task.taskId, externalTaskId: task.externalTaskId, standard: task.standard, kind: task.kind };
      ledger.submitted(task.taskId, task.externalTaskId);
      run.saveMemo();
      run.attributes.defer([{ key: KlingTaskId, value: task.taskId }]);
      const deadlineAt = (run.deadlineAt ??= Date.now() + plan.deadlineMs);

      run.enter('generating', `Kling task \`${task.taskId}\`, deadline ${new Date(deadlineAt).toISOString()}`);
      const done = await run.timed('generating', () => watch.waitForTerminal(task, plan, deadlineAt));
      await holds.settle(holdKey, run.creditsOf(done.unitsDeducted));
      await slots.release(holdKey);
      if (done.status === 'succeeded') break;
      const failure = run.failedTask(task, plan, done);
      if (failure) throw failure;
    }

    tellBatchTaskEnded();
    const stored = await run.rehost(plan, run.task);
    run.finish('succeeded');
    run.enter('completed', `stored at \`${stored.uri}\` (${stored.size} bytes)`);
    return run.resultOf(plan, run.task, stored);
  } catch (err) {
    if (isCancellation(err)) return await run.cancelled(err);
    throw await run.failed(err);
  }
}
