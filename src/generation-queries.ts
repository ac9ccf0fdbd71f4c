// Generations as Temporal's visibility lists them: the rows of `list` and the cost ledger of `costs`, shared by
// VideoGenerationClient (list(), costs()) and the CLI commands of the same names.
import { KlingValidationError } from './kling/index.js';
import { COST_MEMO_KEY, CostRecord } from './contract/costs.js';

/** --status value → Temporal's ExecutionStatus in visibility queries. */
export const LIST_STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  canceled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
} as const;

/** The workflow types `list` shows: generations, batches of them, and adoptions of existing Kling tasks. */
export const LIST_WORKFLOW_TYPES = ['generateVideo', 'generateBatch', 'adoptVideo'] as const;

export interface ListEntry {
  workflowId: string;
  runId: string;
  /** The workflow type: `generateVideo`, `generateBatch` or `adoptVideo`. */
  type: string;
  status: string;
  startTime: string;
  closeTime?: string;
  taskQueue: string;
  model?: string;
  phase?: string;
  klingTaskId?: string;
  klingStatus?: string;
}

/** The visibility query for `list`: every LIST_WORKFLOW_TYPES workflow (the budget and slot entities are not listed). */
export function listQuery(status: string | undefined, extra: string | undefined): string {
  let query = `(${LIST_WORKFLOW_TYPES.map((t) => `WorkflowType='${t}'`).join(' OR ')})`;
  if (status !== undefined) {
    const name = LIST_STATUSES[status.toLowerCase() as keyof typeof LIST_STATUSES];
    if (!name) throw new KlingValidationError([{ field: 'status', message: `must be one of ${Object.keys(LIST_STATUSES).join(', ')}` }]);
    query += ` AND ExecutionStatus='${name}'`;
  }
  if (extra) query += ` AND (${extra})`;
  return query;
}

/** One visibility row as a ListEntry: the run and the Kling search attributes it carries. */
export function listEntry(w: {
  workflowId: string;
  runId: string;
  type: string;
  status: { name: string };
  startTime: Date;
  closeTime?: Date;
  taskQueue: string;
  searchAttributes?: unknown;
}): ListEntry {
  const attribute = (key: string) => keywordAttribute(w, key);
  const { workflowId, runId, ...times } = runFields(w);
  return {
    workflowId,
    runId,
    type: w.type,
    ...times,
    taskQueue: w.taskQueue,
    model: attribute('KlingModel'),
    phase: attribute('KlingPhase'),
    klingTaskId: attribute('KlingTaskId'),
    klingStatus: attribute('KlingStatus'),
  };
}

/** One generation in the ledger: the workflow, and its CostRecord memo when it has one. */
export interface CostEntry {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  closeTime?: string;
  model?: string;
  /** False when the workflow has no (valid) `klingCosts` memo: started before costs were recorded, or still early. */
  costRecorded: boolean;
  outcome?: string;
  estimatedCredits?: number;
  actualCredits?: number;
  actualUnits?: number;
  driftCredits?: number;
  drift: boolean;
  klingTaskId?: string;
  approvedBy?: string;
  /** `none` (nothing sent), `unknown` (a create whose outcome is unknown), `submitted`. */
  submission?: string;
  /** `before_submit` or `after_submit` when the generation was cancelled. */
  cancelled?: string;
}

/** Sums over the listed entries; `actualCredits` counts only what Kling reported. */
export interface CostTotals {
  generations: number;
  withCostRecord: number;
  estimatedCredits: number;
  actualCredits: number;
  /** Entries whose |actual − estimate| exceeded the workflow's tolerance. */
  drifted: number;
}

export interface CostsReport {
  since: string;
  entries: CostEntry[];
  totals: CostTotals;
}

/** Credits to two decimals, as the ledger shows them. */
export const roundCredits = (n: number): number => Math.round(n * 100) / 100;
const round = roundCredits;

/** The visibility query for `costs`. */
export function costsQuery(since: Date, extra: string | undefined): string {
  return `WorkflowType='generateVideo' AND StartTime > '${since.toISOString()}'${extra ? ` AND (${extra})` : ''}`;
}

export function costEntry(w: {
  workflowId: string;
  runId: string;
  status: { name: string };
  startTime: Date;
  closeTime?: Date;
  memo?: Record<string, unknown>;
  searchAttributes?: unknown;
}): CostEntry {
  const parsed = CostRecord.safeParse(w.memo?.[COST_MEMO_KEY]);
  const record = parsed.success ? parsed.data : undefined;
  return {
    ...runFields(w),
    model: record?.model ?? keywordAttribute(w, 'KlingModel'),
    costRecorded: record !== undefined,
    outcome: record?.outcome,
    estimatedCredits: record?.estimatedCredits,
    actualCredits: record?.actualCredits,
    actualUnits: record?.actualUnits,
    driftCredits: record?.driftCredits,
    drift: record?.drift ?? false,
    klingTaskId: record?.klingTaskId,
    approvedBy: record?.approvedBy,
    submission: record?.submission,
    cancelled: record?.cancelled,
  };
}

export function costTotals(entries: readonly CostEntry[]): CostTotals {
  return {
    generations: entries.length,
    withCostRecord: entries.filter((e) => e.costRecorded).length,
    estimatedCredits: round(entries.reduce((sum, e) => sum + (e.estimatedCredits ?? 0), 0)),
    actualCredits: round(entries.reduce((sum, e) => sum + (e.actualCredits ?? 0), 0)),
    drifted: entries.filter((e) => e.drift).length,
  };
}

/** What every row says of its run: ids, Temporal's status and the times (ISO 8601). */
function runFields(w: { workflowId: string; runId: string; status: { name: string }; startTime: Date; closeTime?: Date }) {
  return {
    workflowId: w.workflowId,
    runId: w.runId,
    status: w.status.name,
    startTime: w.startTime.toISOString(),
    ...(w.closeTime ? { closeTime: w.closeTime.toISOString() } : {}),
  };
}

/** A Keyword search attribute's value (the untyped visibility map), when set. */
function keywordAttribute(w: { searchAttributes?: unknown }, key: string): string | undefined {
  const value = (w.searchAttributes as Record<string, unknown[] | undefined> | undefined)?.[key]?.[0];
  return typeof value === 'string' ? value : undefined;
}
