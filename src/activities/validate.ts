import { createHash } from 'node:crypto';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { assertWithinBudget, estimateCredits, requestFingerprint, lintPrompt, resolvedSummary, zodIssues, type KlingClient, type PricingTable } from '../kling/index.js';
import { WORKFLOW_ID_PATTERN } from '../shared/constants.js';
import { FailureType } from '../shared/failure-types.js';
import { GenerateVideoInput, GenerateVideoOptions, type GenerationPlan } from '../shared/generation.js';
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

/** `request.duration`, `request["odd key"]`: a nested field under its input key (see formatFieldPath). */
const under = (prefix: string, field: string) => (field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`);
const prefixed = (prefix: string, error: z.ZodError) => zodIssues(error).map((i) => ({ ...i, field: under(prefix, i.field) }));

/**
 * Everything decided before submission: schema, catalog, exclusivity, budget and lint, with the same rules
 * as the client; the object name is derived from the workflow id and its first run id (a hash, no user text):
 * retries of one run converge on one object, and a re-run of a closed id (a new paid task) never collides with it.
 */
export function validateGeneration(
  deps: ValidateDeps,
  input: unknown,
  workflow: { workflowId: string; firstExecutionRunId: string },
): GenerationPlan {
  const { workflowId } = workflow;
  const parsed = GenerateVideoInput.safeParse(input);
  if (!parsed.success) throw invalid(zodIssues(parsed.error));
  const options = GenerateVideoOptions.safeParse(parsed.data.options ?? {});
  if (!options.success) throw invalid(prefixed('options', options.error));
  const opts = options.data;
  const issues: Array<{ field: string; message: string }> = [];
  if (!WORKFLOW_ID_PATTERN.test(workflowId))
    issues.push({ field: 'workflowId', message: `must match ${WORKFLOW_ID_PATTERN} (it becomes part of Kling's external_task_id)` });
  if ('externalTaskId' in parsed.data.request)
    issues.push({ field: 'request.externalTaskId', message: 'derived from the workflow id; do not set it' });
  const durations: Record<string, unknown> = { deadline: opts.deadline, 'poll.initialInterval': opts.poll.initialInterval, 'poll.maxInterval': opts.poll.maxInterval };
  if (opts.queuedDeadline !== undefined) durations.queuedDeadline = opts.queuedDeadline;
  if (opts.processingDeadline !== undefined) durations.processingDeadline = opts.processingDeadline;
  for (const [key, value] of Object.entries(opts.activityTimeouts)) if (value !== undefined) durations[`activityTimeouts.${key}`] = value;
  if (opts.approval) durations['approval.timeout'] = opts.approval.timeout;
  const ms: Record<string, number> = {};
  // Each is a positive duration already (DurationInput checked it).
  for (const [field, value] of Object.entries(durations)) ms[field] = msToNumber(value as never);
  if (issues.length) throw invalid(issues);

  try {
    const resolved = deps.kling.resolve(parsed.data.request);
    const estimate = estimateCredits(resolved, deps.pricing);
    assertWithinBudget(estimate, opts.maxCredits);
    const prompt = resolved.request.prompt;
    const lint = prompt ? lintPrompt(prompt, { strict: opts.strictPromptLint, minScore: opts.minLintScore }) : undefined;
    const hash = createHash('sha256').update(`${workflowId}/${workflow.firstExecutionRunId}`).digest('hex').slice(0, 32);
    return {
      ...resolvedSummary(resolved),
      estimate,
      lint,
      promptSha256: prompt ? createHash('sha256').update(prompt).digest('hex') : undefined,
      requestSha256: requestFingerprint(resolved.request),
      deadlineMs: ms.deadline!,
      ...(ms.queuedDeadline !== undefined ? { queuedDeadlineMs: ms.queuedDeadline } : {}),
      ...(ms.processingDeadline !== undefined ? { processingDeadlineMs: ms.processingDeadline } : {}),
      poll: { initialMs: ms['poll.initialInterval']!, backoffCoefficient: opts.poll.backoffCoefficient, maxMs: ms['poll.maxInterval']! },
      resubmitOnFailure: opts.resubmitOnFailure,
      objectName: [deps.objectPrefix, opts.destination.prefix, `${hash}.mp4`].filter(Boolean).join('/'),
      ...(Object.keys(opts.activityTimeouts).length > 0
        ? {
            activityTimeoutsMs: {
              validateStartToClose: ms['activityTimeouts.validateStartToClose'],
              submitStartToClose: ms['activityTimeouts.submitStartToClose'],
              statusStartToClose: ms['activityTimeouts.statusStartToClose'],
              rehostHeartbeat: ms['activityTimeouts.rehostHeartbeat'],
              rehostRetryInitialInterval: ms['activityTimeouts.rehostRetryInitialInterval'],
            },
          }
        : {}),
      driftTolerance: opts.creditDriftTolerance,
      ...(opts.dailyCreditBudget !== undefined ? { dailyCreditBudget: opts.dailyCreditBudget } : {}),
      ...(opts.approval ? { approval: { aboveCredits: opts.approval.aboveCredits, timeoutMs: ms['approval.timeout']! } } : {}),
      collectAfterCancel: opts.collectAfterCancel,
    };
  } catch (err) {
    const failure = toActivityFailure(err);
    if (failure.type === FailureType.InvalidVideoRequest) {
      const inner = (failure.details?.[0] as { issues: Array<{ field: string; message: string }> }).issues;
      throw invalid(inner.map((i) => ({ ...i, field: under('request', i.field) })));
    }
    if (failure.type === FailureType.BudgetExceeded) {
      // Name the budget in the details too, like the daily budget and the balance guard do.
      const details = (failure.details?.[0] ?? {}) as Record<string, unknown>;
      throw ApplicationFailure.create({ type: failure.type, message: failure.message, nonRetryable: true, details: [{ budget: 'maxCredits', ...details }] });
    }
    throw failure;
  }
}
