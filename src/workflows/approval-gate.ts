import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { FailureType } from '../contract/failure-types.js';
import type { GenerationProgress } from '../contract/generation.js';
import { approveUpdate, rejectUpdate, type ApprovalDecision } from '../contract/messages.js';

type ApprovalState = NonNullable<GenerationProgress['approval']>;

/**
 * The approval gate: when the estimate exceeds the threshold, the generation waits before submitting for the
 * `approve` or `reject` Update (who decided is recorded), or rejects itself when the timeout passes. The Update
 * handlers are registered at workflow start so their validators can refuse a decision when nothing is pending.
 */
export class ApprovalGate {
  state?: ApprovalState;
  #decision?: ApprovalDecision;

  constructor() {
    const validate = (input: { by?: unknown } | undefined) => {
      if (this.state?.state !== 'pending')
        throw new Error(`no approval is pending${this.state ? ` (it was ${this.state.state.replace('_', ' ')})` : ''}`);
      if (typeof input?.by !== 'string' || input.by.trim() === '') throw new Error('"by" must name who decides');
    };
    setHandler(
      approveUpdate,
      (input) => this.#decide({ state: 'approved', by: input.by.trim(), note: input.note, estimatedCredits: this.state!.estimatedCredits }),
      { validator: (input) => validate(input), description: 'Approve the spend of a generation waiting at the approval gate.' },
    );
    setHandler(
      rejectUpdate,
      (input) => this.#decide({ state: 'rejected', by: input.by.trim(), reason: input.reason, estimatedCredits: this.state!.estimatedCredits }),
      {
        validator: (input) => {
          validate(input);
          if (typeof input.reason !== 'string' || input.reason.trim() === '') throw new Error('"reason" is required');
        },
        description: 'Reject a generation waiting at the approval gate: nothing is submitted.',
      },
    );
  }

  #decide(decision: ApprovalDecision): ApprovalDecision {
    this.#decision = decision;
    this.state = { ...this.state!, state: decision.state, by: decision.by };
    return decision;
  }

  /** Waits for a decision; returns who approved, or throws ApprovalRejected (rejected or timed out). */
  async wait(estimatedCredits: number, aboveCredits: number, timeoutMs: number): Promise<string> {
    this.state = { state: 'pending', aboveCredits, estimatedCredits, timeoutAt: Date.now() + timeoutMs };
    const decided = await condition(() => this.#decision !== undefined, timeoutMs);
    const decision = this.#decision;
    if (decided && decision?.state === 'approved') return decision.by;
    const numbers = { estimatedCredits, aboveCredits, timeoutMs };
    if (!decided || !decision) {
      this.state = { ...this.state, state: 'timed_out' };
      throw ApplicationFailure.create({
        type: FailureType.ApprovalRejected,
        message: `approval: the estimate of ${estimatedCredits} credits is above the approval threshold of ${aboveCredits} and nobody approved it within ${formatMs(timeoutMs)}; nothing was submitted`,
        nonRetryable: true,
        details: [{ budget: 'approval', timedOut: true, ...numbers }],
      });
    }
    throw ApplicationFailure.create({
      type: FailureType.ApprovalRejected,
      message: `approval: rejected by ${decision.by}: ${decision.reason}; the estimate was ${estimatedCredits} credits (threshold ${aboveCredits}); nothing was submitted`,
      nonRetryable: true,
      details: [{ budget: 'approval', timedOut: false, by: decision.by, reason: decision.reason, ...numbers }],
    });
  }
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
