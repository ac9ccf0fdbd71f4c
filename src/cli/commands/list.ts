import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { printJson } from '../output.js';
import { connectTemporal } from '../temporal.js';

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

export interface ListEntry {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  closeTime?: string;
  taskQueue: string;
  model?: string;
  phase?: string;
  klingTaskId?: string;
  klingStatus?: string;
}

/** The visibility query for `list`. */
export function listQuery(status: string | undefined, extra: string | undefined): string {
  let query = "WorkflowType='generateVideo'";
  if (status !== undefined) {
    const name = LIST_STATUSES[status.toLowerCase() as keyof typeof LIST_STATUSES];
    if (!name) throw CliError.invalid([{ field: 'status', message: `must be one of ${Object.keys(LIST_STATUSES).join(', ')}` }]);
    query += ` AND ExecutionStatus='${name}'`;
  }
  if (extra) query += ` AND (${extra})`;
  return query;
}

export function registerList(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .description('Recent generations (Temporal visibility), most recent first.')
    .option('-s, --status <status>', `only this status: ${Object.keys(LIST_STATUSES).filter((s) => s !== 'canceled').join(' | ')}`)
    .option('-n, --limit <n>', 'at most n entries (default 20)', '20')
    .option('-q, --query <visibility-query>', "extra visibility filter, AND-ed (e.g. \"KlingModel='kling-2.6'\")")
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video list
  $ kling-video list --status running
  $ kling-video list --status failed --limit 5 --json
  $ kling-video list --query "KlingModel='kling-3.0'"

JSON: [{"workflowId","runId","status","startTime","closeTime"?,"taskQueue","model"?,"phase"?,"klingTaskId"?,"klingStatus"?}]`,
    )
    .action(
      action(ctx, async (opts: { status?: string; limit: string; query?: string; json?: boolean }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw CliError.invalid([{ field: 'limit', message: 'must be an integer from 1 to 1000' }]);
        const query = listQuery(opts.status, opts.query);
        const session = await connectTemporal();
        try {
          const entries: ListEntry[] = [];
          for await (const w of session.client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
            const attribute = (key: string): string | undefined => {
              const value = (w.searchAttributes as Record<string, unknown[] | undefined>)[key]?.[0];
              return typeof value === 'string' ? value : undefined;
            };
            entries.push({
              workflowId: w.workflowId,
              runId: w.runId,
              status: w.status.name,
              startTime: w.startTime.toISOString(),
              ...(w.closeTime ? { closeTime: w.closeTime.toISOString() } : {}),
              taskQueue: w.taskQueue,
              model: attribute('KlingModel'),
              phase: attribute('KlingPhase'),
              klingTaskId: attribute('KlingTaskId'),
              klingStatus: attribute('KlingStatus'),
            });
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
          for (const e of entries)
            ctx.output.out(`${e.startTime}  ${e.status.padEnd(10)} ${(e.phase ?? '-').padEnd(17)} ${(e.model ?? '-').padEnd(16)} ${e.workflowId}`);
        } finally {
          await session.close();
        }
      }),
    );
}
