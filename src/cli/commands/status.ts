import type { Command } from 'commander';
import type { GenerationProgress } from '../../shared/generation.js';
import { action, type CliContext } from '../context.js';
import { printJson } from '../output.js';
import { progressLine } from '../progress.js';
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
  ui?: string;
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
  // The query needs a worker (a closed workflow is replayed to answer it): bounded, never fatal.
  const progress = await withTimeout(session.videos.getProgress(workflowId), 3_000).catch(() => undefined);
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
    ...(ui ? { ui } : {}),
  };
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description("A generation's state: Temporal status, Kling phase, task id, polls, elapsed, bytes transferred.")
    .argument('<workflow-id>', 'the workflow id given to (or printed by) generate')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video status order-4711-video
  $ kling-video status order-4711-video --json

JSON: {"workflowId","runId","status","startTime","closeTime"?,"taskQueue","searchAttributes":{KlingPhase,...},"progress"?:{phase,klingTaskId,klingStatus,polls,submissions,elapsedMs,deadlineAt,bytesTransferred,totalBytes},"ui"?}
An unknown workflow id exits 2.`,
    )
    .action(
      action(ctx, async (workflowId: string, opts: { json?: boolean }) => {
        const session = await connectTemporal();
        try {
          const status = await describeGeneration(session, workflowId);
          if (opts.json) {
            printJson(ctx.output, status);
            return;
          }
          const out = ctx.output.out;
          out(`${status.workflowId}: ${status.status} (started ${status.startTime}${status.closeTime ? `, closed ${status.closeTime}` : ''})`);
          if (status.progress) out(`  ${progressLine(status.progress)}`);
          else if (status.searchAttributes.KlingPhase) out(`  phase ${status.searchAttributes.KlingPhase}`);
          if (status.searchAttributes.KlingModel) out(`  model ${status.searchAttributes.KlingModel}`);
          if (status.ui) out(`  Temporal UI: ${status.ui}`);
        } finally {
          await session.close();
        }
      }),
    );
}
