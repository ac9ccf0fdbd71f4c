import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { printJson } from '../output.js';
import { connectTemporal } from '../temporal.js';
import { listEntry, listQuery, LIST_STATUSES, type ListEntry } from '../../generation-queries.js';

export { LIST_STATUSES, listQuery, type ListEntry } from '../../generation-queries.js';

/** The text table of `list`: a header row, then one row per workflow (start, status, type, phase, model, id). */
export function listTable(entries: readonly ListEntry[]): string[] {
  const row = (start: string, status: string, type: string, phase: string, model: string, id: string) =>
    `${start.padEnd(24)}  ${status.padEnd(10)} ${type.padEnd(13)} ${phase.padEnd(17)} ${model.padEnd(16)} ${id}`;
  return [
    row('START', 'STATUS', 'TYPE', 'PHASE', 'MODEL', 'WORKFLOW'),
    ...entries.map((e) => row(e.startTime, e.status, e.type, e.phase ?? '-', e.model ?? '-', e.workflowId)),
  ];
}

export function registerList(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .description('Recent generations, batches and adoptions (Temporal visibility), most recent first.')
    .option(
      '-s, --status <status>',
      `only this status: ${Object.keys(LIST_STATUSES)
        .filter((s) => s !== 'canceled')
        .join(' | ')}`,
    )
    .option('-n, --limit <n>', 'at most n entries (default 20)', '20')
    .option('-q, --query <visibility-query>', 'extra visibility filter, AND-ed (e.g. "KlingModel=\'kling-2.6\'")')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video list
  $ kling-video list --status running
  $ kling-video list --status failed --limit 5 --json
  $ kling-video list --query "KlingModel='kling-3.0'"

Types: generateVideo (generate), generateBatch (batch), adoptVideo (adopt); add --query "WorkflowType='generateBatch'" for one.

JSON: [{"workflowId","runId","type","status","startTime","closeTime"?,"taskQueue","model"?,"phase"?,"klingTaskId"?,"klingStatus"?}]`,
    )
    .action(
      action(ctx, async (opts: { status?: string; limit: string; query?: string; json?: boolean }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          throw CliError.invalid([{ field: 'limit', message: 'must be an integer from 1 to 1000' }]);
        const query = listQuery(opts.status, opts.query);
        const session = await connectTemporal(ctx);
        try {
          const entries: ListEntry[] = [];
          for await (const w of session.client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
            entries.push(listEntry(w));
            if (entries.length >= limit) break;
          }
          if (opts.json) {
            printJson(ctx.output, entries);
            return;
          }
          if (entries.length === 0) {
            ctx.output.out('no generations found');
            return;
          }
          for (const line of listTable(entries)) ctx.output.out(line);
        } finally {
          await session.close();
        }
      }),
    );
}
