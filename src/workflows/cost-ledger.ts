import type { CostRecord } from '../contract/costs.js';
import type { CreditEstimate } from '../kling/pricing.js';
import type { GenerationOutcome } from '../contract/outcome.js';

/** Default drift tolerance for plans recorded before `creditDriftTolerance` existed. */
export const DEFAULT_DRIFT_TOLERANCE = 0.05;

type TaskCost = NonNullable<CostRecord['tasks']>[number];

/**
 * What one generation spends, kept in workflow state: the estimate before submission, every Kling task with the
 * deduction Kling reported for it (never assumed: a task whose deduction was not reported has none), and the
 * drift between the delivered task's deduction and the estimate. Pure and deterministic; the workflow writes
 * `record()` to its memo and reports it to the metrics sink.
 */
export class CostLedger {
  estimate?: CreditEstimate;
  tolerance = DEFAULT_DRIFT_TOLERANCE;
  model?: string;
  approvedBy?: string;
  outcome?: GenerationOutcome;
  submission: NonNullable<CostRecord['submission']> = 'none';
  cancelled?: CostRecord['cancelled'];
  /** The external id of a create being sent or whose outcome is unknown (cleared once its task is known). */
  pendingExternalTaskId?: string;
  /** The request's fingerprint, so a re-run of the workflow id can tell whether these tasks were for its request. */
  requestSha256?: string;
  /** Credits estimated for a request refused before a plan existed (maxCredits): recorded, though nothing was spent. */
  refusedEstimateCredits?: number;
  readonly tasks: TaskCost[] = [];

  /**
   * A BudgetExceeded refusal before a plan existed (validation's maxCredits check): its details carry the estimate,
   * which the ledger would otherwise lose (`costs` showed `EST -`). `model` is the one the request named.
   */
  refusedBeforePlan(details: unknown, model: string | undefined): void {
    const estimated = (details as { estimatedCredits?: unknown } | null | undefined)?.estimatedCredits;
    if (typeof estimated === 'number' && Number.isFinite(estimated)) this.refusedEstimateCredits = estimated;
    this.model ??= model;
  }

  /** A task Kling accepted (or one a retry adopted). */
  submitted(klingTaskId: string, externalTaskId: string): void {
    this.submission = 'submitted';
    this.pendingExternalTaskId = undefined;
    if (!this.tasks.some((t) => t.klingTaskId === klingTaskId)) this.tasks.push({ klingTaskId, externalTaskId });
  }

  /** Kling's latest word on a task: its status and, when it reported one, its deduction. */
  observed(klingTaskId: string, status: string, unitsDeducted: number | undefined): void {
    const task = this.tasks.find((t) => t.klingTaskId === klingTaskId);
    if (!task) return;
    task.status = status;
    if (unitsDeducted !== undefined) task.unitsDeducted = unitsDeducted;
  }

  /** Units reported over every task; undefined when Kling reported none. */
  get actualUnits(): number | undefined {
    const reported = this.tasks.filter((t) => t.unitsDeducted !== undefined);
    return reported.length ? round(reported.reduce((sum, t) => sum + t.unitsDeducted!, 0)) : undefined;
  }

  get actualCredits(): number | undefined {
    const units = this.actualUnits;
    return units === undefined || !this.estimate ? undefined : round(units * this.estimate.creditsPerUnit);
  }

  /**
   * The delivered (succeeded) task's deduction minus the estimate. Failed tasks are not compared: what they cost
   * is recorded as observed, but an estimate is a price for a video, and a failed task delivers none.
   */
  get driftCredits(): number | undefined {
    const delivered = this.tasks.find((t) => t.status === 'succeeded' && t.unitsDeducted !== undefined);
    if (!delivered || !this.estimate) return undefined;
    return round(delivered.unitsDeducted! * this.estimate.creditsPerUnit - this.estimate.credits);
  }

  /** |drift| beyond the tolerance (a fraction of the estimate). */
  get drift(): boolean {
    const d = this.driftCredits;
    return d !== undefined && this.estimate !== undefined && Math.abs(d) > this.tolerance * this.estimate.credits + 1e-9;
  }

  record(): CostRecord {
    const e = this.estimate;
    const last = this.tasks[this.tasks.length - 1];
    return strip({
      model: this.model ?? e?.model,
      estimatedCredits: e?.credits ?? this.refusedEstimateCredits,
      creditsPerUnit: e?.creditsPerUnit,
      actualUnits: this.actualUnits,
      actualCredits: this.actualCredits,
      driftCredits: this.driftCredits,
      drift: this.drift,
      driftTolerance: e ? this.tolerance : undefined,
      outcome: this.outcome,
      klingTaskId: last?.klingTaskId,
      approvedBy: this.approvedBy,
      submission: this.submission,
      pendingExternalTaskId: this.pendingExternalTaskId,
      requestSha256: this.requestSha256,
      tasks: this.tasks.length ? this.tasks.map((t) => strip({ ...t })) : undefined,
      cancelled: this.cancelled,
    });
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Memo and sink payloads without undefined keys (they would not survive JSON anyway). */
function strip<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
