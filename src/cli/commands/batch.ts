import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { BatchOptions, type GenerateBatchInput, type GenerateBatchResult } from '../../shared/batch.js';
import { zodIssues } from '../../kling/index.js';
import { action, type CliContext } from '../context.js';
import { CliError, ExitCode, toCliError } from '../exit-codes.js';
import { printJson } from '../output.js';
import { batchProgress, watchProgress } from '../progress.js';
import { workflowUiUrl } from '../result-format.js';
import { connectTemporal } from '../temporal.js';
import { generatedWorkflowId } from './generate.js';

interface BatchFlags {
  concurrency?: string;
  maxCredits?: string;
  bucketScope?: string;
  /** False with --no-batch-polling. */
  batchPolling?: boolean;
  batchPollInterval?: string;
  workflowId?: string;
  taskQueue?: string;
  wait?: boolean;
  json?: boolean;
}

const numberOrText = (value: string): number | string => (value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value);

/**
 * One item per non-empty line: `{"request": {...}, "options": {...}}` (a generateVideo input) or a bare request
 * object. A line that is not a JSON object is named by its line number.
 */
export function parseRequestsJsonl(text: string): GenerateBatchInput['items'] {
  const items: GenerateBatchInput['items'] = [];
  const issues: Array<{ field: string; message: string }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      issues.push({ field: `line ${i + 1}`, message: `not JSON: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ field: `line ${i + 1}`, message: 'expected a JSON object (a request, or {"request", "options"})' });
      return;
    }
    const record = value as Record<string, unknown>;
    items.push('request' in record ? (record as GenerateBatchInput['items'][number]) : { request: record });
  });
  if (issues.length) throw CliError.invalid(issues);
  if (items.length === 0) throw CliError.invalid([{ field: 'requests', message: 'the file has no requests' }]);
  return items;
}

/** Batch options from flags, validated with the workflow's own schema. */
export function batchOptions(flags: BatchFlags): GenerateBatchInput['options'] {
  const options: Record<string, unknown> = {};
  if (flags.concurrency !== undefined) options.concurrency = numberOrText(flags.concurrency);
  if (flags.maxCredits !== undefined) options.maxCredits = numberOrText(flags.maxCredits);
  if (flags.bucketScope !== undefined) options.bucketScope = flags.bucketScope;
  if (flags.batchPolling === false || flags.batchPollInterval !== undefined)
    options.batchPolling = {
      ...(flags.batchPolling === false ? { enabled: false } : {}),
      ...(flags.batchPollInterval !== undefined ? { interval: numberOrText(flags.batchPollInterval) } : {}),
    };
  const parsed = BatchOptions.partial().safeParse(options);
  if (!parsed.success) throw CliError.invalid(zodIssues(parsed.error).map((i) => ({ ...i, field: flagOf(i.field) })));
  return options as GenerateBatchInput['options'];
}

/** The flag that set an option (`batchPolling.interval` → `--batch-poll-interval`). */
function flagOf(field: string): string {
  if (field.startsWith('batchPolling.')) return field === 'batchPolling.enabled' ? '--no-batch-polling' : '--batch-poll-interval';
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function summaryLines(result: GenerateBatchResult): string[] {
  const p = result.progress;
  const lines = [
    `${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped of ${p.total}; credits ${p.credits.actual} actual, ${p.credits.estimated} estimated${p.credits.budget !== undefined ? `, budget ${p.credits.budget}` : ''}`,
  ];
  for (const o of result.items) {
    if (o.outcome === 'succeeded') lines.push(`#${o.index} succeeded ${o.uri}`);
    else if (o.outcome === 'failed') lines.push(`#${o.index} failed ${o.failureType}: ${o.message}`);
    else lines.push(`#${o.index} skipped: ${o.reason}`);
  }
  return lines;
}

export function registerBatch(program: Command, ctx: CliContext): void {
  program
    .command('batch <requests.jsonl>')
    .description('Start a batch (generateBatch): one generateVideo per line, slot-aware per concurrency bucket, within a total credit budget.')
    .option('--concurrency <n>', 'unfinished items per concurrency bucket (model version × pack type), 1–200; default 5')
    .option('--max-credits <x>', 'total credit budget: items whose estimate exceeds what is left are skipped before anything is spent')
    .option('--bucket-scope <scope>', '"model" (one bucket per model version, default) or "packType" (one for every video task)')
    .option('--batch-poll-interval <duration>', 'how often the batch looks up its in-flight new-standard tasks, 20 per query (e.g. 10s; default 10s)')
    .option('--no-batch-polling', 'every item polls its own task instead of the batch looking them up together')
    .option('--workflow-id <id>', 'batch workflow id (items are <id>-<index>; [A-Za-z0-9_-], ≤ 110; default batch-<utc time>-<random>)')
    .option('--task-queue <name>', 'task queue of the workers (default $KLING_TASK_QUEUE or kling-video)')
    .option('-w, --wait', 'wait for the batch and print every item')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Each line: a request ({"model":"kling-2.6","kind":"text-to-video","prompt":"...","duration":5}) or {"request":{...},"options":{...}}.

Examples:
  $ kling-video batch requests.jsonl --concurrency 5 --max-credits 300 --wait
  $ kling-video batch requests.jsonl --json

Exit codes: 0 started (with --wait: every item succeeded) · 2 invalid input · 3 some items failed or were skipped (--wait)
            5 infrastructure
JSON: {"workflowId","runId","status":"started","taskQueue","items"} or, with --wait, {"workflowId","status":"completed","result":GenerateBatchResult}`,
    )
    .action(
      action(ctx, async (file: string, flags: BatchFlags) => {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (err) {
          throw CliError.invalid([{ field: 'requests.jsonl', message: `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}` }]);
        }
        const input: GenerateBatchInput = { items: parseRequestsJsonl(text), options: batchOptions(flags) };
        const workflowId = flags.workflowId ?? generatedWorkflowId('batch');
        const session = await connectTemporal(flags.taskQueue);
        try {
          const handle = await session.videos.startBatch(input, { workflowId }).catch((err: unknown) => {
            throw toCliError(err);
          });
          const runId = 'firstExecutionRunId' in handle ? String(handle.firstExecutionRunId) : (await handle.describe()).runId;
          const ui = workflowUiUrl(process.env.KLING_TEMPORAL_UI_URL, session.namespace, workflowId);
          if (!flags.wait) {
            if (flags.json) printJson(ctx.output, { workflowId, runId, status: 'started', taskQueue: session.taskQueue, items: input.items.length, ...(ui ? { ui } : {}) });
            else {
              ctx.output.out(`started batch ${workflowId} (${input.items.length} items, run ${runId}) on task queue ${session.taskQueue}`);
              if (ui) ctx.output.out(`  Temporal UI: ${ui}`);
              ctx.output.out(`  items run as ${workflowId}-<index>; wait for it: kling-video batch ... --wait, or query batchProgress`);
            }
            return;
          }
          if (!flags.json) ctx.output.out(`started batch ${workflowId} (${input.items.length} items) on task queue ${session.taskQueue}`);
          let result: GenerateBatchResult;
          try {
            const done = session.videos.batchResult(workflowId);
            done.catch(() => undefined);
            if (!flags.json) await watchProgress(batchProgress(session.videos, workflowId), done, ctx.output, { prefix: '  ', intervalMs: 1_000 });
            result = await done;
          } catch (err) {
            const error = toCliError(err);
            error.workflowId = workflowId;
            throw error;
          }
          if (flags.json) printJson(ctx.output, { workflowId, runId, status: 'completed', result });
          else for (const line of summaryLines(result)) ctx.output.out(`  ${line}`);
          if (result.progress.failed > 0 || result.progress.skipped > 0) ctx.exitCode = ExitCode.GenerationFailed;
        } finally {
          await session.close();
        }
      }),
    );
}
