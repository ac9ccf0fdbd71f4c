import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { effectivePrompt, KlingValidationError, requestFingerprint, resolvedSummary, type KlingClient, type PricingTable } from '../kling/index.js';
import { WORKFLOW_ID_PATTERN } from '../contract/constants.js';
import { FailureType } from '../contract/failure-types.js';
import { checkGenerationInput } from './generation-check.js';
import type { GenerationPlan } from '../contract/generation.js';
import { toActivityFailure } from './failures.js';

export interface ValidateDeps {
  kling: KlingClient;
  pricing?: PricingTable;
  /** Base of every object name, from configuration (e.g. `kling-videos`). */
  objectPrefix: string;
}

function invalid(issues: Array<{ field: string; message: string }>): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidVideoRequest,
    message: `Invalid video request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    nonRetryable: true,
    details: [{ issues }],
  });
}

/**
 * Everything decided before submission: schema, catalog, exclusivity, budget and lint, with the same rules
 * as the client; the object name is derived from the workflow id and its first run id (a hash, no user text):
 * retries of one run converge on one object, and a re-run of a closed id (a new paid task) never collides with it.
 * The plan carries the resolved create (`wire`: standard, kind, path, body; no credentials), so nothing after this
 * resolves the request again.
 */
export function validateGeneration(
  deps: ValidateDeps,
  input: unknown,
  workflow: { workflowId: string; firstExecutionRunId: string },
): GenerationPlan {
  const { workflowId } = workflow;
  const workflowIdIssues = WORKFLOW_ID_PATTERN.test(workflowId)
    ? []
    : [{ field: 'workflowId', message: `must match ${WORKFLOW_ID_PATTERN} (it becomes part of Kling's external_task_id)` }];
  try {
    // The same checks as the client's local validation (src/client.ts): one function, so they cannot drift apart.
    const {
      resolved,
      options: opts,
      estimate,
      lint,
    } = checkGenerationInput(input, {
      resolve: (request) => deps.kling.resolve(request),
      pricing: deps.pricing,
    });
    if (workflowIdIssues.length) throw invalid(workflowIdIssues);
    // With shots, the prompt Kling receives (`shot n, m, words;`).
    const prompt = effectivePrompt(resolved.request);
    const hash = createHash('sha256').update(`${workflowId}/${workflow.firstExecutionRunId}`).digest('hex').slice(0, 32);
    // The schema parsed every duration to milliseconds: the plan takes them as they are.
    return {
      ...resolvedSummary(resolved),
      estimate,
      lint,
      promptSha256: prompt ? createHash('sha256').update(prompt).digest('hex') : undefined,
      requestSha256: requestFingerprint(resolved.request),
      deadlineMs: opts.deadline,
      ...(opts.queuedDeadline !== undefined ? { queuedDeadlineMs: opts.queuedDeadline } : {}),
      ...(opts.processingDeadline !== undefined ? { processingDeadlineMs: opts.processingDeadline } : {}),
      poll: { initialMs: opts.poll.initialInterval, backoffCoefficient: opts.poll.backoffCoefficient, maxMs: opts.poll.maxInterval },
      resubmitOnFailure: opts.resubmitOnFailure,
      objectName: [deps.objectPrefix, opts.destination.prefix, `${hash}.mp4`].filter(Boolean).join('/'),
      ...(Object.keys(opts.activityTimeouts).length > 0 ? { activityTimeoutsMs: opts.activityTimeouts } : {}),
      driftTolerance: opts.creditDriftTolerance,
      ...(opts.dailyCreditBudget !== undefined ? { dailyCreditBudget: opts.dailyCreditBudget } : {}),
      ...(opts.approval ? { approval: { aboveCredits: opts.approval.aboveCredits, timeoutMs: opts.approval.timeout } } : {}),
      collectAfterCancel: opts.collectAfterCancel,
      // The create as resolved here: submit and the lookups send and read it as is (no second resolve).
      wire: deps.kling.wireOf(resolved),
    };
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err; // the workflow-id refusal above
    if (err instanceof KlingValidationError) throw invalid([...workflowIdIssues, ...err.issues]);
    if (workflowIdIssues.length) throw invalid(workflowIdIssues);
    // KlingBudgetExceededError (maxCredits) becomes BudgetExceeded naming the budget, like the daily budget and the balance guard.
    throw toActivityFailure(err);
  }
}
