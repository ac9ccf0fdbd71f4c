import type { Command } from 'commander';
import { costTotals, costsQuery, costEntry, roundCredits as round, type CostEntry, type CostsReport } from '../../generation-queries.js';

export { costEntry, costTotals, costsQuery, type CostEntry, type CostsReport, type CostTotals } from '../../generation-queries.js';
import { action, type CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { printJson } from '../output.js';
import { connectTemporal } from '../temporal.js';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * `--since`: a duration back from `now` (`90m`, `24h`, `7d`, `2w`) or a date / date-time (`2026-11-27`,
 * `2026-11-27T08:00:00Z`; a date without a zone is read as UTC). Returns the instant.
 */
export function parseSince(value: string, now: number = Date.now()): Date {
  const duration = /^(\d+)([mhdw])$/.exec(value.trim());
  if (duration) return new Date(now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const text = value.trim().replace(' ', 'T');
    const date = new Date(/T.*(Z|[+-]\d{2}:?\d{2})$/.test(text) || !text.includes('T') ? text : `${text}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw CliError.invalid([{ field: 'since', message: 'must be a duration (90m, 24h, 7d, 2w) or a date (2026-11-27, 2026-11-27T08:00:00Z)' }]);
}

const credits = (n: number | undefined): string => (n === undefined ? '-' : String(round(n)));
const signed = (n: number | undefined): string => (n === undefined ? '-' : `${n > 0 ? '+' : ''}${round(n)}`);

export function registerCosts(program: Command, ctx: CliContext): void {
  program
    .command('costs')
    .description('Ledger of recent generations (Temporal visibility): estimate, actual, drift and outcome per workflow.')
    .option('--since <duration|date>', 'started after this: 90m, 24h, 7d, 2w, or a date / date-time (UTC unless a zone is given)', '24h')
    .option('-n, --limit <n>', 'at most n generations (default 50, at most 1000)', '50')
    .option('-q, --query <visibility-query>', 'extra visibility filter, AND-ed (e.g. "TaskQueue=\'kling-video\'")')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video costs
  $ kling-video costs --since 7d --limit 200
  $ kling-video costs --since 2026-11-01 --json | jq .totals

Credits are estimated from the pricing data before submission; actual credits are what Kling reported deducting
(units × the estimate's credits per unit), "-" when it reported nothing. "!" marks drift beyond the tolerance.

JSON: {"since","entries":[{"workflowId","runId","status","startTime","closeTime"?,"model"?,"costRecorded","outcome"?,
       "estimatedCredits"?,"actualCredits"?,"actualUnits"?,"driftCredits"?,"drift","klingTaskId"?,"approvedBy"?,
       "submission"?,"cancelled"?}],
       "totals":{"generations","withCostRecord","estimatedCredits","actualCredits","drifted"}}`,
    )
    .action(
      action(ctx, async (opts: { since: string; limit: string; query?: string; json?: boolean }) => {
        const limit = Number(opts.limit);
        const issues: { field: string; message: string }[] = [];
        if (!/^\d+$/.test(opts.limit) || limit < 1 || limit > 1000) issues.push({ field: 'limit', message: 'must be an integer from 1 to 1000' });
        let since: Date | undefined;
        try {
          since = parseSince(opts.since);
        } catch (err) {
          if (!(err instanceof CliError) || !err.issues) throw err;
          issues.push(...err.issues);
        }
        if (issues.length > 0 || since === undefined) throw CliError.invalid(issues);
        const session = await connectTemporal(ctx);
        try {
          const entries: CostEntry[] = [];
          for await (const w of session.client.workflow.list({ query: costsQuery(since, opts.query), pageSize: Math.min(limit, 100) })) {
            entries.push(costEntry(w));
            if (entries.length >= limit) break;
          }
          const report: CostsReport = { since: since.toISOString(), entries, totals: costTotals(entries) };
          if (opts.json) {
            printJson(ctx.output, report);
            return;
          }
          if (entries.length === 0) {
            ctx.output.out(`no generations started since ${report.since}`);
            return;
          }
          ctx.output.out(
            `${'START'.padEnd(20)} ${'STATUS'.padEnd(10)} ${'OUTCOME'.padEnd(23)} ${'MODEL'.padEnd(16)} ${'EST'.padStart(8)} ${'ACTUAL'.padStart(8)} ${'DRIFT'.padStart(9)}  WORKFLOW`,
          );
          for (const e of entries) {
            const drift = `${signed(e.driftCredits)}${e.drift ? ' !' : ''}`;
            ctx.output.out(
              `${e.startTime.slice(0, 19).padEnd(20)} ${e.status.padEnd(10)} ${(e.outcome ?? (e.costRecorded ? '-' : 'no record')).padEnd(23)} ${(e.model ?? '-').padEnd(16)} ${credits(e.estimatedCredits).padStart(8)} ${credits(e.actualCredits).padStart(8)} ${drift.padStart(9)}  ${e.workflowId}`,
            );
          }
          const t = report.totals;
          ctx.output.out(
            `${t.generations} generation(s) since ${report.since}: ${t.estimatedCredits} credits estimated, ${t.actualCredits} reported by Kling, ${t.drifted} with drift` +
              (t.withCostRecord < t.generations ? `, ${t.generations - t.withCostRecord} without a cost record` : ''),
          );
        } finally {
          await session.close();
        }
      }),
    );
}
