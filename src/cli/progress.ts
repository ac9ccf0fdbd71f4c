import type { VideoGenerationClient } from '../client.js';
import type { BatchProgress } from '../contract/batch.js';
import type { GenerationProgress } from '../contract/generation.js';
import { NoWorkerPollingError } from '../task-queue-check.js';
import { toCliError } from './exit-codes.js';
import { formatBytes, formatMs, printJson, type Output } from './output.js';

/** One line describing a generation's progress. */
export function progressLine(p: GenerationProgress): string {
  const parts = [`phase ${p.phase}`];
  if (p.phase === 'waiting_for_slot' && p.slot)
    parts.push(
      `slot queue position ${p.slot.position} in ${p.slot.bucket} (${p.slot.holders}/${p.slot.limit} held), waited ${formatMs(p.slot.waitedMs)}`,
    );
  if (p.klingStatus) parts.push(`kling ${p.klingStatus}`);
  if (p.klingTaskId) parts.push(`task ${p.klingTaskId}`);
  parts.push(`polls ${p.polls}`);
  if (p.submissions > 1) parts.push(`submissions ${p.submissions}`);
  parts.push(`elapsed ${formatMs(p.elapsedMs)}`);
  if (p.bytesTransferred !== undefined)
    parts.push(`bytes ${formatBytes(p.bytesTransferred)}${p.totalBytes !== undefined ? ` / ${formatBytes(p.totalBytes)}` : ''}`);
  return parts.join(' · ');
}

/** What changes worth a new line in plain mode (elapsed alone is not). */
function changeKey(p: GenerationProgress): string {
  return JSON.stringify([p.phase, p.klingStatus, p.klingTaskId, p.polls, p.submissions, p.bytesTransferred, p.totalBytes]);
}

/** One batch line: counters, slots and credits. */
export function batchProgressLine(p: BatchProgress): string {
  const parts = [
    `${p.phase}`,
    `${p.succeeded} succeeded`,
    `${p.failed} failed`,
    `${p.skipped} skipped`,
    `${p.inFlight} in flight`,
    `${p.waiting} waiting of ${p.total}`,
  ];
  if (p.polledByBatch) parts.push(`${p.polledByBatch} polled by the batch`);
  parts.push(`credits ${p.credits.actual} actual / ${p.credits.reserved} reserved${p.credits.budget !== undefined ? ` of ${p.credits.budget}` : ''}`);
  return parts.join(' · ');
}

/** Reads a workflow's progress as a line, and what must change for plain mode to print a new one. */
export type ProgressReader = () => Promise<{ line: string; key: string }>;

/** A generation's (or adoption's) `progress` query. */
export function generationProgress(videos: VideoGenerationClient, workflowId: string): ProgressReader {
  return async () => {
    const p = await videos.getProgress(workflowId);
    return { line: progressLine(p), key: changeKey(p) };
  };
}

/** A batch's `batchProgress` query. */
export function batchProgress(videos: VideoGenerationClient, workflowId: string): ProgressReader {
  return async () => {
    const p = await videos.getBatchProgress(workflowId);
    const line = batchProgressLine(p);
    return { line, key: line };
  };
}

/**
 * Shows progress until `done` settles: on a TTY one line rewritten in place, otherwise one line per change.
 * Query errors (the worker not picking the workflow up yet, a brief outage) are shown, never fatal.
 */
export async function watchProgress(
  read: ProgressReader,
  done: Promise<unknown>,
  output: Output,
  options: { intervalMs?: number; prefix?: string } = {},
): Promise<void> {
  let finished = false;
  const settled = done
    .then(
      () => undefined,
      () => undefined,
    )
    .finally(() => {
      finished = true;
    });
  const prefix = options.prefix ?? '';
  let lastKey = '';
  let lastLineLength = 0;
  const started = Date.now();
  // The first reading is always shown, even when the run ends while it is read (a query answers on a closed run too):
  // a short run would otherwise print no progress at all, only its summary.
  let first = true;
  while (!finished || first) {
    let line: string | undefined;
    let key = '';
    try {
      const progress = first ? await read() : await Promise.race([read(), settled.then(() => undefined)]);
      if (progress) ({ line, key } = progress);
    } catch (err) {
      line =
        err instanceof NoWorkerPollingError
          ? `waiting (${formatMs(Date.now() - started)}): ${err.message}`
          : `waiting for a worker… (${formatMs(Date.now() - started)}; ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
      key = 'waiting';
    }
    if (line !== undefined && (!finished || first)) {
      if (output.isTty) {
        const text = `${prefix}${line}`;
        process.stdout.write(`\r${text}${' '.repeat(Math.max(0, lastLineLength - text.length))}`);
        lastLineLength = text.length;
      } else if (key !== lastKey) {
        output.out(`${prefix}${line}`);
      }
      lastKey = key;
    }
    first = false;
    if (finished) break;
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500))]);
  }
  if (output.isTty && lastLineLength > 0) process.stdout.write('\n');
}

/**
 * `--wait` of a command that started a workflow: follows its progress (not with --json), then prints the result
 * (`{workflowId, …json, status: 'completed', result}` with --json, else `completed <id>` and the result lines).
 * A failure is rethrown as a CliError naming the workflow, so it gets the failure's exit code.
 */
export async function awaitAndReport<T>(
  ctx: { output: Output },
  videos: VideoGenerationClient,
  workflowId: string,
  result: Promise<T>,
  options: { json?: boolean; jsonFields?: Record<string, unknown>; lines: (value: T) => string[] },
): Promise<void> {
  if (!options.json) await watchProgress(generationProgress(videos, workflowId), result, ctx.output, { prefix: '  ' });
  else
    // No progress lines with --json, but a queue no worker polls is still said (stderr) within seconds, not never.
    videos.getProgress(workflowId).catch((err: unknown) => {
      if (err instanceof NoWorkerPollingError) ctx.output.err(`${workflowId}: ${err.message}; still waiting`);
    });
  try {
    const value = await result;
    if (options.json) printJson(ctx.output, { workflowId, ...options.jsonFields, status: 'completed', result: value });
    else {
      ctx.output.out(`completed ${workflowId}`);
      for (const line of options.lines(value)) ctx.output.out(`  ${line}`);
    }
  } catch (err) {
    const error = toCliError(err);
    error.workflowId = workflowId;
    throw error;
  }
}
