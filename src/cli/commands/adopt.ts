import type { Command } from 'commander';
import { ApiStandard, VideoKind, zodIssues } from '../../kling/index.js';
import { AdoptVideoOptions, type AdoptVideoInput, type AdoptVideoResult } from '../../contract/generation.js';
import { action, type CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { formatBytes, formatMs, printJson } from '../output.js';
import { awaitAndReport } from '../progress.js';
import { localPath, workflowUiUrl } from '../result-format.js';
import { connectTemporal } from '../temporal.js';

interface AdoptFlags {
  by?: string;
  standard?: string;
  kind?: string;
  workflowId?: string;
  taskQueue?: string;
  deadline?: string;
  queuedDeadline?: string;
  processingDeadline?: string;
  prefix?: string;
  pollInterval?: string;
  wait?: boolean;
  json?: boolean;
}

const msOrText = (value: string): number | string => (/^\d+$/.test(value) ? Number(value) : value);

/** The adoptVideo reference and options from the argument and flags; issues name the flag's option. */
export function adoptInput(id: string, flags: AdoptFlags): { ref: Omit<AdoptVideoInput, 'options'>; options: AdoptVideoInput['options'] } {
  const issues: Array<{ field: string; message: string }> = [];
  const by = flags.by ?? 'any';
  if (!['any', 'task-id', 'external-id'].includes(by)) issues.push({ field: 'by', message: 'must be any, task-id or external-id' });
  const standard = flags.standard === undefined ? undefined : ApiStandard.safeParse(flags.standard);
  if (standard && !standard.success) issues.push({ field: 'standard', message: 'must be new or legacy' });
  const kind = flags.kind === undefined ? undefined : VideoKind.safeParse(flags.kind);
  if (kind && !kind.success) issues.push({ field: 'kind', message: `must be one of ${VideoKind.options.join(', ')}` });
  const options: Record<string, unknown> = {};
  if (flags.deadline !== undefined) options.deadline = msOrText(flags.deadline);
  if (flags.queuedDeadline !== undefined) options.queuedDeadline = msOrText(flags.queuedDeadline);
  if (flags.processingDeadline !== undefined) options.processingDeadline = msOrText(flags.processingDeadline);
  if (flags.prefix !== undefined) options.destination = { prefix: flags.prefix };
  if (flags.pollInterval !== undefined) options.poll = { initialInterval: msOrText(flags.pollInterval) };
  const parsed = AdoptVideoOptions.partial().safeParse(options);
  if (!parsed.success) issues.push(...zodIssues(parsed.error));
  if (issues.length) throw CliError.invalid(issues);
  const ref: Omit<AdoptVideoInput, 'options'> = {
    ...(by === 'task-id' ? { taskId: id } : by === 'external-id' ? { externalTaskId: id } : { id }),
    ...(standard?.success ? { standard: standard.data } : {}),
    ...(kind?.success ? { kind: kind.data } : {}),
  };
  return { ref, options: Object.keys(options).length ? (options as AdoptVideoInput['options']) : undefined };
}

function adoptedLines(result: AdoptVideoResult): string[] {
  const file = localPath(result.uri);
  return [
    `stored:    ${result.uri}`,
    ...(file ? [`file:      ${file}`] : []),
    `url:       ${result.url}`,
    `size:      ${formatBytes(result.size)} (${result.size} bytes, md5 ${result.md5Base64})`,
    `task:      Kling task ${result.klingTaskId} (${result.standard} standard), adopted: nothing submitted`,
    `credits:   ${result.credits.actual !== undefined ? `${result.credits.actual} actual` : 'not reported by Kling'} (no estimate for an adopted task)`,
    `timing:    ${formatMs(result.timingsMs.total)} total (${result.polls} poll(s))`,
  ];
}

export function registerAdopt(program: Command, ctx: CliContext): void {
  program
    .command('adopt')
    .description('Collect an existing Kling task (submitted elsewhere, or left by a timed-out generation): wait, download, rehost. Creates nothing.')
    .argument('<id>', 'a Kling task id or external task id (looked up as a task id first, then as an external id)')
    .option('--by <kind>', 'how to read <id>: any (default), task-id or external-id')
    .option('--standard <standard>', 'where the task lives: new or legacy (default: the new standard first, then both legacy families)')
    .option(
      '--kind <kind>',
      "text-to-video, image-to-video, omni-video or motion-control: narrows a legacy lookup to its family, and is the kind recorded (Kling's GET /tasks does not name it)",
    )
    .option('--workflow-id <id>', 'workflow id (default adopt-<id>: adopting the same task again joins the same adoption)')
    .option('--task-queue <name>', 'task queue of the workers (default $KLING_TASK_QUEUE or kling-video)')
    .option('--deadline <duration>', 'give up waiting this long after the adoption starts (default 10 minutes)')
    .option('--queued-deadline <duration>', 'fail (VideoQueuedTooLong) when the task is still queued this long')
    .option('--processing-deadline <duration>', 'fail (VideoProcessingTooLong) when the task is still processing this long')
    .option('--prefix <prefix>', 'extra object-name prefix: lower-case segments [a-z0-9_-] separated by "/"')
    .option('--poll-interval <duration>', 'first status check (default 5s)')
    .option('-w, --wait', 'wait for the result, showing progress')
    .option('--json', 'machine-readable output (no progress display)')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video adopt 860312345678901234 --wait
  $ kling-video adopt order-4711-video-r0123456789ab-1 --by external-id --wait --json
  $ kling-video adopt 7723 --standard legacy --kind image-to-video

Exit codes: 0 started (or, with --wait, stored) · 2 invalid input or unknown task (KlingTaskNotFound) · 3 the task failed
            4 timed out · 5 infrastructure · 6 cancelled or terminated · 8 Temporal address / namespace / profile unusable
JSON: {"workflowId","runId","status":"started","taskQueue"} or, with --wait, {"workflowId","status":"completed","result":AdoptVideoResult}`,
    )
    .action(
      action(ctx, async (id: string, flags: AdoptFlags) => {
        const { ref, options } = adoptInput(id, flags);
        const session = await connectTemporal(ctx, flags.taskQueue);
        try {
          const handle = await session.videos.adoptVideo(ref, { workflowId: flags.workflowId, options });
          const workflowId = handle.workflowId;
          const ui = workflowUiUrl(process.env.KLING_TEMPORAL_UI_URL, session.namespace, workflowId);
          if (!flags.wait) {
            const runId = 'firstExecutionRunId' in handle ? String(handle.firstExecutionRunId) : (await handle.describe()).runId;
            if (flags.json) printJson(ctx.output, { workflowId, runId, status: 'started', taskQueue: session.taskQueue, ...(ui ? { ui } : {}) });
            else {
              ctx.output.out(`adopting ${id} as ${workflowId} (run ${runId}) on task queue ${session.taskQueue}`);
              if (ui) ctx.output.out(`  Temporal UI: ${ui}`);
              ctx.output.out(`  follow it: kling-video status ${workflowId} · wait for it: kling-video result ${workflowId}`);
            }
            return;
          }
          if (!flags.json) ctx.output.out(`adopting ${id} as ${workflowId} on task queue ${session.taskQueue}`);
          await awaitAndReport(ctx, session.videos, workflowId, handle.result(), { json: flags.json, lines: adoptedLines });
        } finally {
          await session.close();
        }
      }),
    );
}
