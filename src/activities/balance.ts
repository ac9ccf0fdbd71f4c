/**
 * The optional balance guard: before a paid submission, the remaining units of the account's online resource
 * packs (`GET /account/costs`, cached by the KlingClient within Kling's QPS ≤ 1) must cover the estimate.
 * Approximate by nature: Kling says "remaining quantity statistics have a 12h delay" (new standard §7.2), so a
 * balance spent in the last hours still looks available; the guard catches an empty or nearly empty pack early,
 * and Kling's own 429/1102 at create time stays the final word.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { onlineUnits, type KlingClient } from '../kling/index.js';
import { FailureType } from '../contract/failure-types.js';
import { toActivityFailure, type LimitRetryDelays } from './failures.js';

/** Worker configuration of the guard (`KLING_BALANCE_GUARD`, `KLING_BALANCE_PACK_NAME`). */
export interface BalanceGuardConfig {
  /** Off by default: the activity then answers `{ checked: false }` without calling Kling. */
  enabled: boolean;
  /**
   * Only this resource pack counts. `/account/costs` does not say which product a pack pays for, so set it when
   * the account also holds image or try-on packs. Default: every online pack.
   */
  resourcePackName?: string;
}

/** What the workflow passes: the estimate in units, or in credits with the estimate's credits-per-unit. */
export const CheckAccountBalanceInput = z
  .object({
    estimatedUnits: z.number().nonnegative().optional(),
    estimatedCredits: z.number().nonnegative().optional(),
    creditsPerUnit: z.number().positive().optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.estimatedUnits !== undefined) {
      if (input.estimatedCredits !== undefined)
        ctx.addIssue({ code: 'custom', path: ['estimatedCredits'], message: 'give estimatedUnits or estimatedCredits, not both' });
      return;
    }
    if (input.estimatedCredits === undefined)
      ctx.addIssue({ code: 'custom', path: ['estimatedUnits'], message: 'estimatedUnits or estimatedCredits is required' });
    else if (input.creditsPerUnit === undefined)
      ctx.addIssue({ code: 'custom', path: ['creditsPerUnit'], message: 'is required with estimatedCredits' });
  });
export type CheckAccountBalanceInput = z.infer<typeof CheckAccountBalanceInput>;

/** What the guard saw. `checked: false` when it is disabled (nothing was asked of Kling). */
export interface BalanceCheckResult {
  checked: boolean;
  requiredUnits: number;
  /** Remaining units of the counted packs (Kling's figure, up to 12 h old). */
  remainingUnits?: number;
  /** When Kling's answer was fetched (ms; cached answers keep their time). */
  fetchedAt?: number;
}

/** `details[0]` of the BudgetExceeded failure the guard raises. */
export interface BalanceRefusalDetails {
  budget: 'balance';
  requiredUnits: number;
  remainingUnits: number;
  estimatedCredits?: number;
  creditsPerUnit?: number;
  issues: { field: string; message: string }[];
}

const round = (n: number): number => Math.round(n * 10_000) / 10_000;

/**
 * Fails with a non-retryable `BudgetExceeded` (details: BalanceRefusalDetails, `budget: 'balance'`) when the
 * counted packs hold fewer units than the estimate; Kling trouble is mapped like any activity error (1302
 * retried with a delay).
 */
export async function checkAccountBalance(
  deps: { kling: KlingClient; guard?: BalanceGuardConfig; delays: LimitRetryDelays; signal?: AbortSignal },
  raw: CheckAccountBalanceInput,
): Promise<BalanceCheckResult> {
  const parsed = CheckAccountBalanceInput.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'input', message: i.message }));
    throw ApplicationFailure.create({
      type: FailureType.InvalidVideoRequest,
      message: `checkAccountBalance: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      nonRetryable: true,
      details: [{ issues }],
    });
  }
  const input = parsed.data;
  const requiredUnits = round(input.estimatedUnits ?? (input.estimatedCredits ?? 0) / (input.creditsPerUnit ?? 1));
  if (!deps.guard?.enabled) return { checked: false, requiredUnits };

  let costs;
  try {
    costs = await deps.kling.getAccountCosts({ resourcePackName: deps.guard.resourcePackName }, { signal: deps.signal });
  } catch (err) {
    throw toActivityFailure(err, deps.delays);
  }
  const remainingUnits = onlineUnits(costs.packs);
  if (remainingUnits >= requiredUnits) return { checked: true, requiredUnits, remainingUnits, fetchedAt: costs.fetchedAt };

  const pack = deps.guard.resourcePackName ? `resource pack "${deps.guard.resourcePackName}"` : "account's online resource packs";
  const credits =
    input.estimatedCredits !== undefined && input.creditsPerUnit !== undefined
      ? ` (${input.estimatedCredits} credits at ${input.creditsPerUnit} credits per unit; ${round(remainingUnits * input.creditsPerUnit)} credits left)`
      : '';
  const message =
    `balance: the estimate needs ${requiredUnits} units but the ${pack} have ${remainingUnits} left${credits}; ` +
    'nothing was submitted (Kling reports remaining units with up to 12 h delay)';
  const details: BalanceRefusalDetails = {
    budget: 'balance',
    requiredUnits,
    remainingUnits,
    ...(input.estimatedCredits !== undefined ? { estimatedCredits: input.estimatedCredits, creditsPerUnit: input.creditsPerUnit } : {}),
    issues: [{ field: 'balance', message }],
  };
  throw ApplicationFailure.create({ type: FailureType.BudgetExceeded, message, nonRetryable: true, details: [details] });
}
