// Pure checks (no activity context, no I/O): the validate activity runs them, and so does the client before it
// starts a workflow (src/client.ts validateGenerationLocally).
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { z } from 'zod';
import { KlingValidationError, type ValidationIssue } from '../kling/errors.js';
import { assertWithinBudget, estimateCredits, PriceNotFoundError, type CreditEstimate, type PricingTable } from '../kling/pricing.js';
import { lintPrompt, type PromptLintReport } from '../kling/prompt-lint.js';
import { effectivePrompt } from '../kling/request.js';
import { zodIssues, type ResolvedRequest } from '../kling/resolve-request.js';
import { GenerateVideoInput, GenerateVideoOptions } from '../contract/generation.js';

export interface GenerationCheckDeps {
  /**
   * Checks the request against the catalog and picks the standard: the worker's `KlingClient.resolve` (its
   * credentials, catalog and image-URL policy) or, where no credentials are at hand, `resolveWithoutCredentials`.
   */
  resolve: (request: unknown) => ResolvedRequest;
  /** Prices for the estimate and `maxCredits`. Default: the built-in table. */
  pricing?: PricingTable;
}

/** A generation input that passed every check that needs no workflow id. */
export interface CheckedGeneration {
  resolved: ResolvedRequest;
  /** The options with every default filled in. */
  options: GenerateVideoOptions;
  /** Each duration option in milliseconds, by field: `deadline`, `poll.initialInterval`, `activityTimeouts.<name>`, `approval.timeout`, … */
  durationsMs: Record<string, number>;
  estimate: CreditEstimate;
  lint: PromptLintReport | undefined;
}

/** `request.duration`, `request["odd key"]`: a nested field under its input key (see formatFieldPath). */
export const fieldUnder = (prefix: string, field: string) => (field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`);

/**
 * Every check of a generation input that needs no workflow id, in one place so the client's local validation
 * and the worker's validate activity cannot drift apart: the input and options schemas, the durations, the
 * refusal of `request.externalTaskId`, the request against the catalog (`deps.resolve`), the credit estimate,
 * `maxCredits` and the prompt lint. Issues name fields relative to the input (`request.duration`,
 * `options.deadline`; a model without a price is `request.model`). Throws KlingValidationError,
 * KlingCredentialsError, KlingBudgetExceededError or PromptLintError; sends nothing.
 */
export function checkGenerationInput(input: unknown, deps: GenerationCheckDeps): CheckedGeneration {
  const parsed = GenerateVideoInput.safeParse(input);
  if (!parsed.success) throw new KlingValidationError(zodIssues(parsed.error));
  const options = GenerateVideoOptions.safeParse(parsed.data.options ?? {});
  if (!options.success) throw new KlingValidationError(prefixed('options', options.error));
  const opts = options.data;
  const durationsMs = durationOptionsMs(opts);

  const issues: ValidationIssue[] = [];
  // `!== undefined`, not `in`: the input crosses JSON on its way to the worker, which drops undefined values.
  if (parsed.data.request.externalTaskId !== undefined)
    issues.push({ field: 'request.externalTaskId', message: 'derived from the workflow id; do not set it' });
  let resolved: ResolvedRequest | undefined;
  try {
    resolved = deps.resolve(parsed.data.request);
  } catch (err) {
    if (!(err instanceof KlingValidationError)) {
      if (issues.length === 0) throw err;
    } else issues.push(...err.issues.map((i) => ({ ...i, field: fieldUnder('request', i.field) })));
  }
  if (issues.length > 0 || !resolved) throw new KlingValidationError(issues);

  const estimate = estimateFor(resolved, deps.pricing);
  assertWithinBudget(estimate, opts.maxCredits);
  // With shots, the prompt Kling receives (`shot n, m, words;`): their words are linted too.
  const prompt = effectivePrompt(resolved.request);
  const lint = prompt ? lintPrompt(prompt, { strict: opts.strictPromptLint, minScore: opts.minLintScore }) : undefined;
  return { resolved, options: opts, durationsMs, estimate, lint };
}

/** A model the price table lacks cannot be budgeted: refused under `request.model`, saying which row to add. */
function estimateFor(resolved: ResolvedRequest, pricing: PricingTable | undefined): CreditEstimate {
  try {
    return estimateCredits(resolved, pricing);
  } catch (err) {
    if (err instanceof PriceNotFoundError) throw new KlingValidationError([{ field: 'request.model', message: err.message }]);
    throw err;
  }
}

function prefixed(prefix: string, error: z.ZodError): ValidationIssue[] {
  return zodIssues(error).map((i) => ({ ...i, field: fieldUnder(prefix, i.field) }));
}

function durationOptionsMs(opts: GenerateVideoOptions): Record<string, number> {
  const durations: Record<string, unknown> = {
    deadline: opts.deadline,
    'poll.initialInterval': opts.poll.initialInterval,
    'poll.maxInterval': opts.poll.maxInterval,
  };
  if (opts.queuedDeadline !== undefined) durations.queuedDeadline = opts.queuedDeadline;
  if (opts.processingDeadline !== undefined) durations.processingDeadline = opts.processingDeadline;
  for (const [key, value] of Object.entries(opts.activityTimeouts)) if (value !== undefined) durations[`activityTimeouts.${key}`] = value;
  if (opts.approval) durations['approval.timeout'] = opts.approval.timeout;
  const ms: Record<string, number> = {};
  // Each is a positive duration already (DurationInput checked it).
  for (const [field, value] of Object.entries(durations)) ms[field] = msToNumber(value as never);
  return ms;
}
