import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { BatchOptions, type GenerateBatchInput, type GenerateBatchResult } from '../../contract/batch.js';
import type { BatchRequest } from '../../client.js';
import { GenerateVideoInput } from '../../contract/generation.js';
import { KlingValidationError, resolveWithoutCredentials, zodIssues, type ValidationIssue } from '../../kling/index.js';
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

/** The items of a requests file, and the 1-based line each came from (`lines[i]` is item i's line). */
export interface BatchFile {
  items: GenerateBatchInput['items'];
  lines: number[];
}

/**
 * How the CLI names an item of a requests file, in every error and result line: its line counted from 1 (what an
 * editor shows) and its item index counted from 0 (the batch's `items[i]`, the `<batch id>-<i>` workflow id and the
 * result's `index`). Blank lines are skipped, so the two do not always differ by one.
 */
export function itemAt(line: number | undefined, index: number): string {
  return line === undefined ? `item ${index}` : `line ${line} (item ${index})`;
}

/**
 * One item per non-empty line: `{"request": {...}, "options": {...}}` (a generateVideo input) or a bare request
 * object. Every line is checked as the client would (JSON, schema, catalog) and every bad one is reported in one
 * error, named `line N (item i)` and, for a field, the field's path in that line (`duration`, `options.deadline`).
 */
export function parseRequestsJsonl(text: string): BatchFile {
  const items: GenerateBatchInput['items'] = [];
  const lines: number[] = [];
  const issues: ValidationIssue[] = [];
  let index = 0;
  text.split(/\r?\n/).forEach((content, i) => {
    if (content.trim() === '') return;
    const at = itemAt(i + 1, index++);
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (err) {
      issues.push({ field: at, message: `not JSON: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ field: at, message: 'expected a JSON object (a request, or {"request", "options"})' });
      return;
    }
    const record = value as Record<string, unknown>;
    const bare = !('request' in record);
    const item = (bare ? { request: record } : record) as GenerateBatchInput['items'][number];
    // A bare line's fields are the request's own: name them as written (`duration`, not `request.duration`).
    for (const issue of itemIssues(item))
      issues.push({ field: `${at} ${bare ? issue.field.replace(/^request\./, '') : issue.field}`, message: issue.message });
    items.push(item);
    lines.push(i + 1);
  });
  if (issues.length) throw CliError.invalid(issues);
  if (items.length === 0) throw CliError.invalid([{ field: 'requests', message: 'the file has no requests' }]);
  return { items, lines };
}

/** The client's local checks of one item (schema of the generateVideo input, then the request against the catalog). */
function itemIssues(item: GenerateBatchInput['items'][number]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const parsed = GenerateVideoInput.safeParse(item);
  if (!parsed.success) issues.push(...zodIssues(parsed.error));
  const request: unknown = item.request;
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return issues;
  try {
    resolveWithoutCredentials(request);
  } catch (err) {
    if (!(err instanceof KlingValidationError)) throw err;
    issues.push(...err.issues.map((i) => ({ ...i, field: i.field === '(request)' ? 'request' : `request.${i.field}` })));
  }
  return issues;
}

/** `items[i].…` (how the client names an item) → `line N (item i) …`, so a refusal after parsing reads like one before. */
function onLines(err: CliError, lines: number[]): CliError {
  if (!err.issues || err.type !== 'InvalidInput') return err;
  const issues = err.issues.map((i) => {
    const m = /^items\[(\d+)\]\.?(.*)$/.exec(i.field);
    return m ? { ...i, field: `${itemAt(lines[Number(m[1])], Number(m[1]))}${m[2] ? ` ${m[2]}` : ''}` } : i;
  });
  return CliError.invalid(issues);
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

/** The `--wait` summary: the counters, then one line per item named as in the input errors (`line N (item i)`). */
export function summaryLines(result: GenerateBatchResult, lines: number[]): string[] {
  const p = result.progress;
  const out = [
    `${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped of ${p.total}; credits ${p.credits.actual} actual, ${p.credits.estimated} estimated${p.credits.budget !== undefined ? `, budget ${p.credits.budget}` : ''}`,
  ];
  for (const o of result.items) {
    const at = itemAt(lines[o.index], o.index);
    if (o.outcome === 'succeeded') out.push(`${at} succeeded ${o.uri}`);
    else if (o.outcome === 'failed') out.push(`${at} failed ${o.failureType}: ${o.message}`);
    else out.push(`${at} skipped: ${o.reason}`);
  }
  return out;
}

export function registerBatch(program: Command, ctx: CliContext): void {
  program
    .command('batch <requests.jsonl>')
    .description('Start a batch (generateBatch): one generateVideo per line, slot-aware per concurrency bucket, within a total credit budget.')
    .option('--concurrency <n>', 'unfinished items per concurrency bucket (model version × pack type), 1–200; default 5')
    .option('--max-credits <x>', 'total credit budget: items whose estimate exceeds what is left are skipped before anything is spent')
    .option('--bucket-scope <scope>', '"model" (one bucket per model version, default) or "packType" (one for every video task)')
    .option(
      '--batch-poll-interval <duration>',
      'longest wait between lookups of in-flight new-standard tasks (earlier when due), 20 per query; default 10s',
    )
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
            5 infrastructure · 8 Temporal address / namespace / profile unusable
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
        const requests = parseRequestsJsonl(text);
        // parseRequestsJsonl validated every line's request: they are GenerationRequests.
        const input = { items: requests.items, options: batchOptions(flags) } as BatchRequest;
        const workflowId = flags.workflowId ?? generatedWorkflowId('batch');
        const session = await connectTemporal(ctx, flags.taskQueue);
        try {
          const handle = await session.videos.startBatch(input, { workflowId }).catch((err: unknown) => {
            throw onLines(toCliError(err), requests.lines);
          });
          const runId = 'firstExecutionRunId' in handle ? String(handle.firstExecutionRunId) : (await handle.describe()).runId;
          const ui = workflowUiUrl(process.env.KLING_TEMPORAL_UI_URL, session.namespace, workflowId);
          if (!flags.wait) {
            if (flags.json)
              printJson(ctx.output, {
                workflowId,
                runId,
                status: 'started',
                taskQueue: session.taskQueue,
                items: input.items.length,
                ...(ui ? { ui } : {}),
              });
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
          else for (const line of summaryLines(result, requests.lines)) ctx.output.out(`  ${line}`);
          if (result.progress.failed > 0 || result.progress.skipped > 0) ctx.exitCode = ExitCode.GenerationFailed;
        } finally {
          await session.close();
        }
      }),
    );
}
