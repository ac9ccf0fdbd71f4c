import { ActivityFailure, ApplicationFailure, CancellationScope, log, patched, sleep } from '@temporalio/workflow';
import { FailureType, SUBMISSION_UNKNOWN } from '../contract/failure-types.js';
import type { GenerationPlan, SubmissionTarget, SubmittedTask } from '../contract/generation.js';
import { findTaskActivity, submitActivity } from './activity-proxies.js';

/** How long an unknown submission is looked up (and resubmitted under the same external id) before giving up. */
const UNKNOWN_GIVE_UP_MS = 30 * 60 * 1000;
const UNKNOWN_MAX_DELAY_MS = 60_000;
/** A lookup that fails (Kling unreachable) keeps the submission unknown instead of failing the workflow. */
export const UNKNOWN_LOOKUP_PATCH = 'kling-unknown-lookup-retry-v1';

/**
 * One submission, made explicit when its outcome is unknown: the create timed out (or lost its connection, or
 * got a 5xx) and the activity's lookup found nothing. Then the workflow records "submission unknown"
 * (`onUnknown`), waits, and looks the external id up again; only when Kling still shows nothing does it resubmit,
 * under the same external id (Kling refuses a duplicate, which the activity resolves by lookup) and with a lookup
 * first. It never resubmits blindly. The create itself runs in a non-cancellable scope: a cancellation arriving
 * mid-create waits for its answer, so the workflow always knows whether a paid task exists.
 */
export async function submitUntilKnown(
  plan: GenerationPlan,
  /** `slot`: the account slot the create holds (docs/slots.md), so the activity can report a 1303 to its entity. */
  args: SubmissionTarget & { externalTaskId: string; slot?: { entityWorkflowId: string; key: string } },
  onUnknown: (round: number, message: string) => void,
): Promise<SubmittedTask> {
  let lookupFirst = false;
  let delay = Math.min(Math.max(plan.poll.initialMs, 200), 5_000);
  const giveUpAt = Date.now() + UNKNOWN_GIVE_UP_MS;
  for (let round = 1; ; round++) {
    try {
      return await CancellationScope.nonCancellable(() => submitActivity(plan)({ ...args, ...(lookupFirst ? { lookupFirst } : {}) }));
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      if (!(cause instanceof ApplicationFailure) || cause.type !== SUBMISSION_UNKNOWN) throw err;
      onUnknown(round, cause.message);
      log.warn('Kling submission outcome unknown; looking the external id up again before any resubmission', {
        externalTaskId: args.externalTaskId,
        round,
      });
    }
    // Look the external id up until Kling answers (found, or shows nothing) or the window closes.
    for (;;) {
      if (Date.now() >= giveUpAt)
        throw ApplicationFailure.create({
          type: FailureType.KlingUnavailable,
          message:
            `the outcome of submitting external id ${args.externalTaskId} stayed unknown for ${UNKNOWN_GIVE_UP_MS / 60_000} minutes. ` +
            `Kling may still have the task (and bill it): collect it with \`kling-video adopt ${args.externalTaskId} --by external-id\` ` +
            `(or the adoptVideo workflow with the \`adopt\` detail) before submitting again.`,
          nonRetryable: true,
          details: [{ externalTaskId: args.externalTaskId, submission: 'unknown', rounds: round }],
        });
      await sleep(delay);
      delay = Math.min(delay * 2, UNKNOWN_MAX_DELAY_MS);
      let found: SubmittedTask | null;
      try {
        found = await CancellationScope.nonCancellable(() => findTaskActivity(plan)(args));
      } catch (lookupErr) {
        // Histories recorded before this patch failed the workflow here, orphaning a task Kling may have accepted.
        if (!(lookupErr instanceof ActivityFailure) || !patched(UNKNOWN_LOOKUP_PATCH)) throw lookupErr;
        // A failed lookup tells nothing about the create: the outcome is still unknown, and the window goes on.
        const message = lookupErr.cause?.message ?? lookupErr.message;
        onUnknown(round, `looking it up failed (${message})`);
        log.warn('looking the unknown submission up failed; its outcome is still unknown', {
          externalTaskId: args.externalTaskId,
          round,
          error: message,
        });
        continue;
      }
      if (found) return found;
      break;
    }
    lookupFirst = true;
  }
}
