import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NEW_TASKS_QUERY_MAX_IDS, type KlingClient, type KlingTask, type VideoKind, type ApiStandard } from '../kling/index.js';
import { COST_MEMO_KEY, CostRecord } from '../contract/costs.js';
import type { GenerationPlan } from '../contract/generation.js';
import { toActivityFailure } from './failures.js';

/** How many earlier runs of one workflow id are searched (newest first). */
const MAX_EARLIER_RUNS = 10;

export type EarlierTask = NonNullable<GenerationPlan['earlierTask']>;

export interface EarlierRunsQuery {
  workflowId: string;
  /** The run asking: never its own candidate. */
  runId: string;
  /** Only runs whose memo records this request fingerprint are candidates: a changed request pays for its own task. */
  requestSha256: string;
  standard: ApiStandard;
  kind: VideoKind;
}

interface Candidate {
  runId: string;
  externalTaskId: string;
}

/**
 * A re-run of a workflow id whose earlier run ended without a video (failed, timed out, terminated, cancelled)
 * must not pay again for a task that run already has on Kling. Reads the earlier runs' memos (their CostRecord:
 * the tasks they submitted and a create whose outcome stayed unknown), keeps those for the same request, looks
 * their external ids up on Kling and returns the best one to collect: a `succeeded` task first, then one still
 * `submitted`/`processing`; newest run first. `failed` tasks are skipped (they deliver nothing). Kling failing to
 * answer fails the activity (retried): creating a new task while an earlier one may exist is what this prevents.
 */
export async function findEarlierRunTask(
  deps: { kling: KlingClient; temporal: Client; signal?: AbortSignal; log?: { warn: (message: string, attrs?: Record<string, unknown>) => void } },
  query: EarlierRunsQuery,
): Promise<EarlierTask | undefined> {
  let candidates: Candidate[];
  try {
    candidates = await earlierCandidates(deps.temporal, query);
  } catch (err) {
    // Temporal's time-skipping test server has no visibility (ListWorkflowExecutions is unimplemented): no run
    // there can be looked back on. Every real server has it, so anything else is an error worth retrying.
    if (!isUnimplemented(err)) throw err;
    deps.log?.warn('Temporal cannot list workflow runs (no visibility): a re-run of this workflow id cannot look for tasks of earlier runs', {
      workflowId: query.workflowId,
    });
    return undefined;
  }
  if (candidates.length === 0) return undefined;
  let found: KlingTask[];
  try {
    found = await lookUp(deps, query, candidates);
  } catch (err) {
    const failure = toActivityFailure(err);
    throw ApplicationFailure.create({
      type: failure.type ?? undefined,
      message:
        `could not check whether an earlier run of ${query.workflowId} left a Kling task for this request (${failure.message}); ` +
        'nothing was submitted: the check is retried, and if it keeps failing, start the workflow again once Kling answers',
      nonRetryable: failure.nonRetryable ?? undefined,
      details: failure.details as unknown[] | undefined,
      nextRetryDelay: failure.nextRetryDelay,
    });
  }
  const runOf = new Map(candidates.map((c) => [c.externalTaskId, c.runId]));
  const order = new Map(candidates.map((c, i) => [c.externalTaskId, i]));
  const usable = found
    .filter((t) => t.externalTaskId !== undefined && runOf.has(t.externalTaskId) && t.status !== 'failed')
    .sort((a, b) => rank(a) - rank(b) || order.get(a.externalTaskId!)! - order.get(b.externalTaskId!)!);
  const best = usable[0];
  if (!best) return undefined;
  return {
    taskId: best.taskId,
    externalTaskId: best.externalTaskId!,
    standard: best.standard,
    kind: best.kind,
    adopted: true,
    fromRunId: runOf.get(best.externalTaskId!)!,
    status: best.status,
  };
}

/** gRPC status 12 (UNIMPLEMENTED), on the error or its cause (the client wraps it in a ServiceError). */
function isUnimplemented(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if ((e as { code?: unknown }).code === 12) return true;
  return false;
}

const rank = (t: KlingTask) => (t.status === 'succeeded' ? 0 : 1);

/** External ids of the same request's tasks in earlier closed runs, newest run first. */
async function earlierCandidates(temporal: Client, query: EarlierRunsQuery): Promise<Candidate[]> {
  const out: Candidate[] = [];
  let runs = 0;
  // The workflow id matched WORKFLOW_ID_PATTERN in validation: no quote can reach the query.
  for await (const run of temporal.workflow.list({ query: `WorkflowId = '${query.workflowId}'`, pageSize: MAX_EARLIER_RUNS })) {
    if (run.runId === query.runId || run.status.name === 'RUNNING' || run.status.name === 'COMPLETED') continue;
    if (++runs > MAX_EARLIER_RUNS) break;
    const record = CostRecord.safeParse(run.memo?.[COST_MEMO_KEY]);
    if (!record.success || record.data.requestSha256 !== query.requestSha256) continue;
    const ids = new Set((record.data.tasks ?? []).map((t) => t.externalTaskId));
    if (record.data.pendingExternalTaskId) ids.add(record.data.pendingExternalTaskId);
    // Its newest submission first: an earlier one of that run failed, or it would not have resubmitted.
    for (const externalTaskId of [...ids].reverse()) out.push({ runId: run.runId, externalTaskId });
  }
  return out;
}

async function lookUp(deps: { kling: KlingClient; signal?: AbortSignal }, query: EarlierRunsQuery, candidates: Candidate[]): Promise<KlingTask[]> {
  const ids = candidates.map((c) => c.externalTaskId);
  if (query.standard === 'new') {
    const found: KlingTask[] = [];
    for (let i = 0; i < ids.length; i += NEW_TASKS_QUERY_MAX_IDS)
      found.push(
        ...(await deps.kling.getTasks(ids.slice(i, i + NEW_TASKS_QUERY_MAX_IDS), {
          by: 'externalTaskId',
          standard: 'new',
          kind: query.kind,
          signal: deps.signal,
        })),
      );
    return found;
  }
  const found: KlingTask[] = [];
  for (const externalTaskId of ids) {
    const task = await deps.kling.getTask({ standard: 'legacy', kind: query.kind, externalTaskId }, { signal: deps.signal });
    if (task) found.push({ ...task, externalTaskId });
  }
  return found;
}
