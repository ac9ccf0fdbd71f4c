import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  creditBudgetQuery,
  releaseCreditsSignal,
  reserveCreditsUpdate,
  settleCreditsSignal,
  type CreditBudgetEntry,
  type CreditBudgetState,
  type CreditDecision,
} from '../contract/credit-budget-messages.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Continue-as-new well before Temporal's history limits (also when the server suggests it). */
const MAX_HISTORY_EVENTS = 5_000;
/** With nothing held or in the window, end after this long without a message (the next reservation restarts it). */
const IDLE_MS = 10 * 60 * 1000;

/**
 * The rolling credit budget of one task queue, as a durable entity: every submission reserves its estimate
 * through the `reserve` Update before the create call, so concurrent generations see each other's holds and
 * cannot overspend. Reservations are replaced by Kling's reported deduction (`settle`) or dropped when nothing
 * was spent (`release`); every entry (held or settled) leaves the window `windowMs` after its reservation. Ends by itself when nothing is held
 * inside the window (the next reservation starts it again), and continues as new when its history grows.
 */
export async function creditBudget(state: CreditBudgetState = { entries: [], windowMs: DAY_MS }): Promise<void> {
  const entries: CreditBudgetEntry[] = [...state.entries];
  let windowMs = state.windowMs;
  let changed = false;

  const used = (window: number) => {
    const since = Date.now() - window;
    return entries.filter((e) => e.at > since).reduce((sum, e) => sum + e.credits, 0);
  };
  const decision = (key: string, requested: number, limit: number, window: number, granted: boolean, usedBefore: number): CreditDecision => ({
    granted,
    budget: 'dailyCreditBudget',
    limitCredits: limit,
    windowMs: window,
    usedCredits: usedBefore,
    requestedCredits: requested,
    remainingCredits: Math.max(limit - usedBefore - (granted ? requested : 0), 0),
  });

  setHandler(
    reserveCreditsUpdate,
    (r) => {
      changed = true;
      windowMs = Math.max(windowMs, r.windowMs);
      const existing = entries.find((e) => e.key === r.key);
      // A retried reservation (activity retry) gets the answer it got the first time.
      if (existing) return decision(r.key, r.credits, r.limitCredits, r.windowMs, true, used(r.windowMs) - existing.credits);
      const before = used(r.windowMs);
      if (before + r.credits > r.limitCredits) return decision(r.key, r.credits, r.limitCredits, r.windowMs, false, before);
      entries.push({ key: r.key, workflowId: r.workflowId, credits: r.credits, at: Date.now(), state: 'reserved' });
      return decision(r.key, r.credits, r.limitCredits, r.windowMs, true, before);
    },
    {
      validator: (r) => {
        if (!r || typeof r.key !== 'string' || !r.key) throw new Error('reserve: key is required');
        if (!(r.credits >= 0)) throw new Error('reserve: credits must be a number >= 0');
        if (!(r.limitCredits > 0)) throw new Error('reserve: limitCredits must be a positive number');
        if (!(r.windowMs > 0)) throw new Error('reserve: windowMs must be a positive number');
      },
    },
  );
  setHandler(settleCreditsSignal, ({ key, actualCredits }) => {
    changed = true;
    const entry = entries.find((e) => e.key === key);
    if (!entry) return;
    entry.state = 'settled';
    if (actualCredits !== undefined) entry.credits = actualCredits;
  });
  setHandler(releaseCreditsSignal, ({ key }) => {
    changed = true;
    const i = entries.findIndex((e) => e.key === key);
    if (i >= 0) entries.splice(i, 1);
  });
  setHandler(creditBudgetQuery, () => ({ entries, windowMs, usedCredits: used(windowMs) }));

  for (;;) {
    const since = Date.now() - windowMs;
    // A hold never settled (its generation was terminated) leaves the window like any spend: it cannot pin the budget.
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.at <= since) entries.splice(i, 1);
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof creditBudget>({ entries, windowMs });
    }
    // Wake up on any message, when the oldest entry leaves the window, or after an idle spell.
    const timeout = entries.length === 0 ? IDLE_MS : Math.max(Math.min(...entries.map((e) => e.at + windowMs - Date.now())), 1);
    changed = false;
    const woke = await condition(() => changed, timeout);
    if (!woke && entries.length === 0) {
      await condition(allHandlersFinished);
      if (entries.length === 0 && !changed) return;
    }
  }
}
