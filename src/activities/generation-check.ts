// Pure checks (no activity context, no I/O): the validate activity runs them, and so does the client before it
// starts a workflow (src/client.ts validateGenerationLocally).
import { KlingValidationError, type ValidationIssue } from '../kling/errors.js';
import { assertWithinBudget, estimateCredits, PriceNotFoundError, type CreditEstimate, type PricingTable } from '../kling/pricing.js';
import { lintPrompt, type PromptLintReport } from '../kling/prompt-lint.js';
import { effectivePrompt } from '../kling/request.js';
import { zodIssues, type ResolvedRequest } from '../kling/resolve-request.js';
import { GenerateVideoInput, type GenerateVideoOptions } from '../contract/generation.js';

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
  /** The options as the schema parsed them: every default filled in, every duration in milliseconds. */
  options: GenerateVideoOptions;
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
  // One parse: issues name fields from the input's root (`options.deadline`), the options come back complete.
  const parsed = GenerateVideoInput.safeParse(input);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    // A bad option does not hide a bad request: when the request itself parsed, its catalog issues come too.
    if (!issues.some((i) => isUnder('request', i.field))) issues.push(...catalogIssues((input as { request?: unknown }).request, deps));
    throw new KlingValidationError(issues);
  }
  const opts = parsed.data.options;

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
  return { resolved, options: opts, estimate, lint };
}

/** `field` is `prefix` or lies under it (`request.duration`, `request["odd key"]`). */
const isUnder = (prefix: string, field: string) => field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`);

/** The request's issues against the catalog (`request.…`), none when it resolves or fails otherwise (credentials: reported later). */
function catalogIssues(request: unknown, deps: GenerationCheckDeps): ValidationIssue[] {
  try {
    deps.resolve(request);
    return [];
  } catch (err) {
    return err instanceof KlingValidationError ? err.issues.map((i) => ({ ...i, field: fieldUnder('request', i.field) })) : [];
  }
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
