import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  KlingApiError,
  KlingNetworkError,
  withCreateFields,
  type ApiStandard,
  type KlingClient,
  type KlingTask,
  type TaskRef,
  type VideoKind,
  type WireRequest,
} from '../kling/index.js';
import { withCallbackUrl } from '../contract/callback-input-policy.js';
import { SUBMISSION_UNKNOWN } from '../contract/failure-types.js';
import type { SubmissionTarget, SubmittedTask } from '../contract/generation.js';
import { toActivityFailure, type LimitRetryDelays } from './failures.js';

/**
 * The create one submission sends: the plan's resolved create with this submission's external id and the worker's
 * callback URL (unless the request names its own). A run validated before plans carried the create gives its raw
 * request instead, resolved here once, as that code did at every submission.
 */
export function createFor(kling: KlingClient, target: SubmissionTarget, fields: { externalTaskId: string; callbackUrl?: string }): WireRequest {
  if (target.wire) return withCreateFields(target.wire, fields);
  return kling.wireRequest({ ...withCallbackUrl(target.request, fields.callbackUrl), externalTaskId: fields.externalTaskId });
}

/** Where a submission's task is looked up: the standard and kind of the plan's create (or of the raw request, resolved). */
export function lookupPlaceOf(kling: KlingClient, target: SubmissionTarget, externalTaskId: string): { standard: ApiStandard; kind: VideoKind } {
  const { standard, kind } = target.wire ?? kling.wireRequest({ ...target.request, externalTaskId });
  return { standard, kind };
}

/**
 * Sends `create` (see createFor: resolved already, never resolved again) at most once per external id. A retried attempt (timeout, crash) or a resubmission
 * after an unknown outcome (`lookupFirst`) first looks the task up by external id; a create refused as "already
 * exists" is resolved the same way. A create whose outcome is unknown (timed out, connection lost, 5xx after
 * sending) is looked up at once; if Kling shows no task yet, the activity fails with SUBMISSION_UNKNOWN (not
 * retried here) so the workflow records "submission unknown" and looks again before any resubmission.
 */
export async function submitTask(
  kling: KlingClient,
  create: WireRequest,
  externalTaskId: string,
  delays?: LimitRetryDelays,
  options: { lookupFirst?: boolean } = {},
): Promise<SubmittedTask> {
  const { kind, standard } = create;
  const ref: TaskRef = { standard, kind, externalTaskId };
  const log = Context.current().log;
  try {
    if (options.lookupFirst || Context.current().info.attempt > 1) {
      const existing = await kling.getTask(ref);
      if (existing) return adopted(existing, externalTaskId, log);
    }
    const task = await kling.createResolvedTask(create);
    log.info('Kling task created', { taskId: task.taskId, externalTaskId, standard });
    return { taskId: task.taskId, externalTaskId, standard, kind, adopted: false };
  } catch (err) {
    const duplicate = err instanceof KlingApiError && err.code === 1201 && /already exists/i.test(err.apiMessage);
    if (duplicate || outcomeUnknown(err)) {
      const existing = await kling.getTask(ref).catch(() => undefined);
      if (existing) return adopted(existing, externalTaskId, log);
      // A duplicate means the task exists although the lookup could not show it (yet, or it failed): still unknown,
      // never an invalid request, so the workflow keeps looking instead of orphaning the paid task.
      throw ApplicationFailure.create({
        type: SUBMISSION_UNKNOWN,
        message: duplicate
          ? `Kling says a task with external id ${externalTaskId} already exists, but looking it up found none yet`
          : `the create for external id ${externalTaskId} may have reached Kling (${(err as Error).message}); a lookup found no task yet`,
        nonRetryable: true,
        details: [{ externalTaskId }],
      });
    }
    throw toActivityFailure(err, delays);
  }
}

/** The task as Kling shows it by external id, or null when it shows none (yet). */
export async function findTask(
  kling: KlingClient,
  { standard, kind }: { standard: ApiStandard; kind: VideoKind },
  externalTaskId: string,
): Promise<SubmittedTask | null> {
  try {
    const existing = await kling.getTask({ standard, kind, externalTaskId });
    return existing ? { taskId: existing.taskId, externalTaskId, standard: existing.standard, kind: existing.kind, adopted: true } : null;
  } catch (err) {
    throw toActivityFailure(err);
  }
}

/** A create that may have been accepted although no answer says so: a lost connection after sending, or a 5xx. */
function outcomeUnknown(err: unknown): boolean {
  if (err instanceof KlingNetworkError) return err.mayHaveReachedServer;
  return err instanceof KlingApiError && err.httpStatus >= 500;
}

function adopted(task: KlingTask, externalTaskId: string, log: { info: (m: string, a?: Record<string, unknown>) => void }): SubmittedTask {
  log.info('Kling task already existed; adopting it instead of creating another', { taskId: task.taskId, externalTaskId });
  return { taskId: task.taskId, externalTaskId, standard: task.standard, kind: task.kind, adopted: true };
}
