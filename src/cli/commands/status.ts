import type { Command } from 'commander';
import type { BatchProgress } from '../../contract/batch.js';
import { BATCH_MEMO_KEY } from '../../contract/constants.js';
import type { GenerationProgress } from '../../contract/generation.js';
import { workflowPollers } from '../../task-queue-check.js';
import { action, type CliContext } from '../context.js';
import { toCliError } from '../exit-codes.js';
import { formatMs, printJson } from '../output.js';
import { batchProgressLine, progressLine } from '../progress.js';
import { workflowUiUrl } from '../result-format.js';
import { connectTemporal, type TemporalSession } from '../temporal.js';

export interface StatusJson {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW. */
  status: string;
  startTime: string;
  closeTime?: string;
  taskQueue: string;
  /** Kling search attributes: KlingPhase, KlingTaskId, KlingModel, KlingStatus (those set). */
  searchAttributes: Record<string, string>;
  /** The workflow's progress query (with bytes from the rehost heartbeat), when a worker answered it. */
  progress?: GenerationProgress;
  /** A batch (generateBatch): its counts, from the `batchProgress` query or, without a worker, its memo. */
  batch?: BatchProgress;
  /** A closed run that did not complete: the failure's type (a FailureType, Cancelled, Terminated, WorkflowTimedOut), message and details. */
  failure?: { type: string; message: string; details?: unknown };
  /** Activities scheduled or being retried: attempt number and the last attempt's failure. */
  pendingActivities?: Array<{ activityType: string; state: string; attempt: number; lastFailure?: string; nextAttemptAt?: string }>;
  /** A running workflow whose task queue no worker polls: why nothing moves. */
  noWorker?: string;
  ui?: string;
}

const ACTIVITY_STATES: Record<number, string> = { 1: 'SCHEDULED', 2: 'STARTED', 3: 'CANCEL_REQUESTED', 4: 'PAUSED', 5: 'PAUSE_REQUESTED' };

function timestampIso(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!t || t.seconds === undefined || t.seconds === null) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([p, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);

export async function describeGeneration(session: TemporalSession, workflowId: string): Promise<StatusJson> {
  const description = await session.client.workflow.getHandle(workflowId).describe();
  const searchAttributes: Record<string, string> = {};
  for (const key of ['KlingPhase', 'KlingTaskId', 'KlingModel', 'KlingStatus']) {
    const value = (description.searchAttributes as Record<string, unknown[] | undefined>)[key]?.[0];
    if (typeof value === 'string') searchAttributes[key] = value;
  }
  const handle = session.client.workflow.getHandle(workflowId);
  const isBatch = description.type === 'generateBatch';
  const running = description.status.name === 'RUNNING';
  // The queries need a worker (a closed workflow is replayed to answer them): bounded, never fatal.
  const progress = isBatch ? undefined : await withTimeout(session.videos.getProgress(workflowId), 3_000).catch(() => undefined);
  const batch = isBatch
    ? ((await withTimeout(session.videos.getBatchProgress(workflowId), 3_000).catch(() => undefined)) ??
      (description.memo?.[BATCH_MEMO_KEY] as BatchProgress | undefined))
    : undefined;
  // A closed run that did not complete: its failure, read from the close event (no worker needed).
  const failure =
    !running && description.status.name !== 'COMPLETED' && description.status.name !== 'CONTINUED_AS_NEW'
      ? await handle.result().then(
          () => undefined,
          (err: unknown) => {
            const e = toCliError(err);
            return { type: e.type, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) };
          },
        )
      : undefined;
  const pendingActivities = (description.raw.pendingActivities ?? []).map((a) => ({
    activityType: a.activityType?.name ?? 'activity',
    state: ACTIVITY_STATES[Number(a.state ?? 0)] ?? 'UNKNOWN',
    attempt: a.attempt ?? 1,
    ...(a.lastFailure?.message ? { lastFailure: a.lastFailure.message } : {}),
    ...(timestampIso(a.nextAttemptScheduleTime) ? { nextAttemptAt: timestampIso(a.nextAttemptScheduleTime) } : {}),
  }));
  const noWorker =
    running && !progress && !batch && (await workflowPollers(session.client, description.taskQueue)) === 0
      ? `no worker is polling task queue "${description.taskQueue}": start one with \`kling-video worker\` (KLING_TASK_QUEUE=${description.taskQueue}) or check KLING_TASK_QUEUE`
      : undefined;
  const ui = workflowUiUrl(process.env.KLING_TEMPORAL_UI_URL, session.namespace, workflowId);
  return {
    workflowId,
    runId: description.runId,
    status: description.status.name,
    startTime: description.startTime.toISOString(),
    ...(description.closeTime ? { closeTime: description.closeTime.toISOString() } : {}),
    taskQueue: description.taskQueue,
    searchAttributes,
    ...(progress ? { progress } : {}),
    ...(batch ? { batch } : {}),
    ...(failure ? { failure } : {}),
    ...(pendingActivities.length ? { pendingActivities } : {}),
    ...(noWorker ? { noWorker } : {}),
    ...(ui ? { ui } : {}),
  };
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description(
      "A generation's (or batch's) state: Temporal status, Kling phase, task id, polls, elapsed, bytes transferred; a failed run's type and message; a batch's counts; retrying activities' attempts and last failure.",
    )
    .argument('<workflow-id>', 'the workflow id given to (or printed by) generate')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video status order-4711-video
  $ kling-video status order-4711-video --json

JSON: {"workflowId","runId","status","startTime","closeTime"?,"taskQueue","searchAttributes":{KlingPhase,...},"progress"?:{phase,klingTaskId,klingStatus,polls,submissions,elapsedMs,deadlineAt,bytesTransferred,totalBytes},
       "batch"?:{succeeded,failed,skipped,inFlight,waiting,total,credits,...},"failure"?:{type,message,details?},
       "pendingActivities"?:[{activityType,state,attempt,lastFailure?,nextAttemptAt?}],"noWorker"?,"ui"?}
An unknown workflow id exits 2.`,
    )
    .action(
      action(ctx, async (workflowId: string, opts: { json?: boolean }) => {
        const session = await connectTemporal(ctx);
        try {
          const status = await describeGeneration(session, workflowId);
          if (opts.json) {
            printJson(ctx.output, status);
            return;
          }
          const out = ctx.output.out;
          out(`${status.workflowId}: ${status.status} (started ${status.startTime}${status.closeTime ? `, closed ${status.closeTime}` : ''})`);
          if (status.progress) out(`  ${progressLine(status.progress)}`);
          else if (status.batch) out(`  ${batchProgressLine(status.batch)}`);
          else if (status.searchAttributes.KlingPhase) out(`  phase ${status.searchAttributes.KlingPhase}`);
          if (status.failure) out(`  failure ${status.failure.type}: ${status.failure.message}`);
          for (const a of status.pendingActivities ?? [])
            out(
              `  activity ${a.activityType} ${a.state.toLowerCase()}, attempt ${a.attempt}${a.lastFailure ? `, last failure: ${a.lastFailure}` : ''}${a.nextAttemptAt ? `, next attempt in ${formatMs(Math.max(0, Date.parse(a.nextAttemptAt) - Date.now()))}` : ''}`,
            );
          if (status.noWorker) out(`  ${status.noWorker}`);
          if (status.searchAttributes.KlingModel) out(`  model ${status.searchAttributes.KlingModel}`);
          if (status.ui) out(`  Temporal UI: ${status.ui}`);
        } finally {
          await session.close();
        }
      }),
    );
}
