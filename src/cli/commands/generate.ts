import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { prepareVideoGeneration, type GenerationRequest, type PreparedGeneration } from '../../client.js';
import type { GenerateVideoInput } from '../../contract/generation.js';
import { KlingValidationError } from '../../kling/index.js';
import { action, type CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { printJson } from '../output.js';
import { awaitAndReport } from '../progress.js';
import { addRequestOptions, buildRequest, type RequestFlags } from '../request-options.js';
import { resultLines, workflowUiUrl } from '../result-format.js';
import { connectTemporal } from '../temporal.js';

interface GenerateFlags extends RequestFlags {
  workflowId?: string;
  taskQueue?: string;
  deadline?: string;
  queuedDeadline?: string;
  processingDeadline?: string;
  maxCredits?: string;
  resubmitOnFailure?: string;
  prefix?: string;
  strictLint?: boolean;
  minLintScore?: string;
  pollInterval?: string;
  pollMaxInterval?: string;
  wait?: boolean;
  json?: boolean;
}

/** `kling-<utc timestamp>-<random>`: valid as a workflow id and as a Kling external id prefix. */
export function generatedWorkflowId(prefix = 'kling'): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${prefix}-${stamp}-${randomBytes(3).toString('hex')}`;
}

const msOrText = (value: string): number | string => (/^\d+$/.test(value) ? Number(value) : value);
const numberOrText = (value: string): number | string => (value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value);

/** Workflow options from flags, as written (prepareFromFlags checks them with the rest of the input). */
export function workflowOptions(flags: GenerateFlags): GenerateVideoInput['options'] {
  const options: Record<string, unknown> = {};
  if (flags.deadline !== undefined) options.deadline = msOrText(flags.deadline);
  if (flags.queuedDeadline !== undefined) options.queuedDeadline = msOrText(flags.queuedDeadline);
  if (flags.processingDeadline !== undefined) options.processingDeadline = msOrText(flags.processingDeadline);
  if (flags.maxCredits !== undefined) options.maxCredits = numberOrText(flags.maxCredits);
  if (flags.resubmitOnFailure !== undefined) options.resubmitOnFailure = numberOrText(flags.resubmitOnFailure);
  if (flags.prefix !== undefined) options.destination = { prefix: flags.prefix };
  if (flags.strictLint) options.strictPromptLint = true;
  if (flags.minLintScore !== undefined) options.minLintScore = numberOrText(flags.minLintScore);
  if (flags.pollInterval !== undefined || flags.pollMaxInterval !== undefined) {
    options.poll = {
      ...(flags.pollInterval !== undefined ? { initialInterval: msOrText(flags.pollInterval) } : {}),
      ...(flags.pollMaxInterval !== undefined ? { maxInterval: msOrText(flags.pollMaxInterval) } : {}),
    };
  }
  return options as GenerateVideoInput['options'];
}

/**
 * The generation the flags describe, checked once, by the client's and the worker's own check
 * (prepareVideoGeneration): request, options, estimate, maxCredits and lint, before connecting anywhere (exit 2).
 * An option's issue names it as the flags set it (`processingDeadline`, not `options.processingDeadline`).
 */
export function prepareFromFlags(flags: GenerateFlags): PreparedGeneration {
  try {
    // buildRequest turns flags into a request; the check below is what makes it a GenerationRequest.
    return prepareVideoGeneration(buildRequest(flags) as GenerationRequest, workflowOptions(flags));
  } catch (err) {
    if (err instanceof KlingValidationError) throw CliError.invalid(err.issues.map((i) => ({ ...i, field: i.field.replace(/^options\./, '') })));
    throw err;
  }
}

export function registerGenerate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('generate')
    .description('Start a generation through the generateVideo workflow (validated locally first); --wait follows it to the end.');
  addRequestOptions(cmd)
    .option('--workflow-id <id>', 'workflow id, your idempotency key ([A-Za-z0-9_-], ≤ 120; default kling-<utc time>-<random>)')
    .option('--task-queue <name>', 'task queue of the workers (default $KLING_TASK_QUEUE or kling-video)')
    .option(
      '--deadline <duration>',
      'give up waiting this long after submission: ms or a Temporal duration ("10 minutes", "90s"); default 10 minutes',
    )
    .option(
      '--queued-deadline <duration>',
      'fail with VideoQueuedTooLong (exit 4) when the task is still queued this long after submission (default off)',
    )
    .option(
      '--processing-deadline <duration>',
      'fail with VideoProcessingTooLong (exit 4) when the task is still processing this long after it started (default off)',
    )
    .option('--max-credits <n>', 'refuse (BudgetExceeded, exit 2) before submitting when the estimate is higher')
    .option('--resubmit-on-failure <n>', 'resubmit after a failed task up to n times (0–5, default 0)')
    .option('--prefix <prefix>', 'extra object-name prefix: lower-case segments [a-z0-9_-] separated by "/", at most 5')
    .option('--strict-lint', 'fail (PromptRejected, exit 2) when the prompt lint score is below --min-lint-score')
    .option('--min-lint-score <n>', 'minimum lint score for --strict-lint (default 60)')
    .option('--poll-interval <duration>', 'first status check after submission (default 5s)')
    .option('--poll-max-interval <duration>', 'cap on the wait between status checks (default 10s)')
    .option('-w, --wait', 'wait for the result, showing progress (phase, polls, elapsed, bytes)')
    .option('--json', 'machine-readable output (no progress display)')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video generate -m kling-2.6 -p "Close-up of a monarch butterfly landing on a lavender flower, golden hour, macro lens" -d 5 --wait
  $ kling-video generate --request request.json --workflow-id order-4711-video --max-credits 30 --prefix marketing
  $ kling-video generate -m kling-2.6 -k image-to-video --image ./first-frame.png -p "The camera slowly pushes in" --wait --json

Exit codes: 0 started (or, with --wait, completed) · 2 invalid input / budget / strict lint · 3 generation failed
            4 timed out · 5 infrastructure (Kling, credentials, storage) · 6 cancelled or terminated
            7 workflow id used by another request · 8 Temporal address / namespace / profile unusable
JSON: {"workflowId","runId","status":"started","taskQueue"} or, with --wait, {"workflowId","runId","status":"completed","result":GenerateVideoResult};
      on failure {"workflowId","error":{"exitCode","type","message","issues"?,"details"?}}`,
    )
    .action(
      action(ctx, async (flags: GenerateFlags) => {
        // Checked once (field-named issues, budget, lint: exit 2 before connecting anywhere), then started as checked.
        const prepared = prepareFromFlags(flags);
        // In words, from the default price table (the worker's, which may be configured otherwise, decides the budget);
        // for motion control it says which output duration it assumed.
        const estimate = prepared.checked.estimate.description;
        const workflowId = flags.workflowId ?? generatedWorkflowId();
        const session = await connectTemporal(ctx, flags.taskQueue);
        try {
          const handle = await session.videos.startPreparedGeneration(prepared, { workflowId });
          const runId = 'firstExecutionRunId' in handle ? String(handle.firstExecutionRunId) : (await handle.describe()).runId;
          const ui = workflowUiUrl(process.env.KLING_TEMPORAL_UI_URL, session.namespace, workflowId);
          if (!flags.wait) {
            if (flags.json) printJson(ctx.output, { workflowId, runId, status: 'started', taskQueue: session.taskQueue, ...(ui ? { ui } : {}) });
            else {
              ctx.output.out(`started ${workflowId} (run ${runId}) on task queue ${session.taskQueue}`);
              if (estimate) ctx.output.out(`  estimate (default prices): ${estimate}`);
              if (ui) ctx.output.out(`  Temporal UI: ${ui}`);
              ctx.output.out(`  follow it: kling-video status ${workflowId} · wait for it: kling-video result ${workflowId}`);
            }
            return;
          }
          if (!flags.json) {
            ctx.output.out(`started ${workflowId} on task queue ${session.taskQueue}`);
            if (estimate) ctx.output.out(`  estimate (default prices): ${estimate}`);
            if (ui) ctx.output.out(`  Temporal UI: ${ui}`);
          }
          await awaitAndReport(ctx, session.videos, workflowId, session.videos.result(workflowId), {
            json: flags.json,
            jsonFields: { runId },
            lines: resultLines,
          });
        } finally {
          await session.close();
        }
      }),
    );
}
