import {
  ApplicationFailure,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../contract/failure-types.js';
import type { AdoptionPlan, AdoptVideoInput, AdoptVideoResult, GenerationPhase, StoredVideo, SubmittedTask } from '../contract/generation.js';
import type { GenerationOutcome } from '../contract/outcome.js';
import { KlingPhase, KlingTaskId } from '../contract/search-attributes.js';
import { adoptActivity, rehostActivity } from './activity-proxies.js';
import { announcePhase, failureDetails, storedLocation, timedInto } from './phase.js';
import { progressQuery, taskUpdatedSignal } from '../contract/messages.js';
import { klingMetrics } from './metrics-sink.js';
import { TaskWatch, WAIT_IN_ACTIVITY_PATCH } from './task-watch.js';
import { outcomeOf, toWorkflowFailure } from './workflow-failure.js';

/**
 * Adopts a Kling task that already exists (submitted elsewhere, or whose generateVideo wait timed out) and runs
 * the rest of the pipeline on it: look it up (KlingTaskNotFound naming the field when Kling knows none) → wait for
 * a terminal status on generateVideo's poll loop and deadlines → download and rehost under an object name derived
 * from this workflow. Never creates a task, so it never spends credits; the result has GenerateVideoResult's shape
 * (see AdoptVideoResult for what an adopted task cannot tell). Answers the same `progress` query.
 */
export async function adoptVideo(input: AdoptVideoInput): Promise<AdoptVideoResult> {
  const info = workflowInfo();
  const startedAt = Date.now();
  const timings = { validating: 0, submitting: 0, generating: 0, rehosting: 0, total: 0 };
  let phase: GenerationPhase = 'validating';
  let plan: AdoptionPlan | undefined;
  let deadlineAt: number | undefined;
  let unitsDeducted: number | undefined;
  // Adoptions started before it replay waiting on workflow timers.
  const waitInActivity = patched(WAIT_IN_ACTIVITY_PATCH);
  const watch = new TaskWatch(
    (current) => {
      if (current.unitsDeducted !== undefined) unitsDeducted = current.unitsDeducted;
    },
    { waitInActivity },
  );

  setHandler(progressQuery, () => ({
    phase,
    klingTaskId: plan?.task.taskId,
    externalTaskId: plan?.task.externalTaskId || undefined,
    klingStatus: watch.snapshot?.status ?? plan?.snapshot.status,
    polls: watch.polls,
    submissions: 0,
    elapsedMs: Date.now() - startedAt,
    deadlineAt,
  }));
  setHandler(taskUpdatedSignal, () => watch.wake());

  const enter = (next: GenerationPhase, details: string) => {
    phase = next;
    announcePhase(next, details);
  };
  /** Phases the run entered: the metrics sink gets durations for these only. */
  const reached = new Set<string>();
  const timed = <T>(name: keyof typeof timings, fn: () => Promise<T>): Promise<T> => {
    reached.add(name);
    return timedInto(timings, name, fn);
  };
  /** Every end reports once to the metrics sink (not on replay), as an adoption: no model, no estimate. */
  const finish = (outcome: GenerationOutcome) => {
    timings.total = Date.now() - startedAt;
    klingMetrics.generationFinished({
      outcome,
      standard: plan?.task.standard,
      creditsActual: plan && unitsDeducted !== undefined ? unitsDeducted * plan.creditsPerUnit : undefined,
      phaseDurationsMs: Object.fromEntries(Object.entries(timings).filter(([k]) => reached.has(k))),
      adopted: true,
    });
  };

  try {
    enter('validating', 'looking the Kling task up (adoption: nothing is submitted)');
    const p = (plan = await timed('validating', () => adoptActivity(input)(input, { firstExecutionRunId: info.firstExecutionRunId })));
    // A task of unknown kind was found through the new standard's `GET /tasks`, where the kind is only a label: the
    // lookups below go there too. No new command: histories replay unchanged.
    const task: SubmittedTask = { ...p.task, kind: p.task.kind ?? 'text-to-video' };
    unitsDeducted = p.snapshot.unitsDeducted;
    upsertSearchAttributes([{ key: KlingTaskId, value: task.taskId }]);

    let done = p.snapshot;
    if (done.status !== 'succeeded' && done.status !== 'failed') {
      deadlineAt = Date.now() + p.deadlineMs;
      enter('generating', `adopted Kling task \`${task.taskId}\` (${done.status}), deadline ${new Date(deadlineAt).toISOString()}`);
      done = await timed('generating', () => watch.waitForTerminal(task, p, deadlineAt!));
    }
    const creditsDeducted = unitsDeducted === undefined ? undefined : unitsDeducted * p.creditsPerUnit;
    if (done.status === 'failed') {
      const message = done.statusMessage ?? 'no reason given';
      throw ApplicationFailure.create({
        type: FailureType.VideoGenerationFailed,
        message: `adopted Kling task ${task.taskId} failed: ${message}`,
        nonRetryable: true,
        details: [
          {
            taskId: task.taskId,
            externalTaskId: task.externalTaskId || undefined,
            statusMessage: message,
            submissions: 0,
            unitsDeducted: unitsDeducted ?? null,
            creditsDeducted: creditsDeducted ?? null,
          },
        ],
      });
    }

    enter('rehosting', `downloading adopted Kling task \`${task.taskId}\` into \`${p.objectName}\``);
    const stored: StoredVideo = await timed('rehosting', () =>
      rehostActivity(p)({ task, objectName: p.objectName, creditsPerUnit: p.creditsPerUnit, unitsDeducted }),
    );
    finish('succeeded');
    enter('completed', `stored at \`${stored.uri}\` (${stored.size} bytes)`);
    return {
      ...storedLocation(stored),
      klingTaskId: task.taskId,
      ...(task.externalTaskId ? { externalTaskId: task.externalTaskId } : {}),
      standard: task.standard,
      credits: { ...(creditsDeducted !== undefined ? { actual: creditsDeducted } : {}) },
      submissions: 0,
      polls: watch.polls,
      timingsMs: timings,
      adopted: true,
    };
  } catch (err) {
    // Cancelled: nothing of ours to clean up (the task was not ours to stop, and Kling cannot stop one anyway).
    if (isCancellation(err)) {
      finish(plan ? 'abandoned_billed' : 'cancelled_before_submit');
      setCurrentDetails(
        plan
          ? `**cancelled** — the adoption stopped; Kling task \`${plan.task.taskId}\` runs on and is billed to the account (adopt it again to collect it)`
          : '**cancelled** — before the Kling task was found: nothing was adopted',
      );
      throw err;
    }
    const failure = toWorkflowFailure(err);
    phase = 'failed';
    upsertSearchAttributes([{ key: KlingPhase, value: 'failed' }]);
    const outcome = outcomeOf(failure, plan !== undefined);
    finish(outcome);
    setCurrentDetails(failureDetails(failure, outcome, info.workflowId));
    throw failure;
  }
}
