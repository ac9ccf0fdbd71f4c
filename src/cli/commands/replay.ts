import type { Command } from 'commander';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { replayHistories, type ReplayHistoryInput } from '../../testing.js';
import { action, type CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { printJson } from '../output.js';

/**
 * `kling-video replay <path…>`: replays recorded histories (`temporal workflow show --output json`) against this
 * version's workflows, so an upgrade that would break running generations fails here, before the workers move.
 */
export function registerReplay(program: Command, ctx: CliContext): void {
  program
    .command('replay')
    .description("Replay workflow histories (JSON from `temporal workflow show --output json`) against this version's workflows. No server needed.")
    .argument('<path...>', 'history files, or directories of *.json histories')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ temporal workflow show --workflow-id order-4711-video --output json > histories/order-4711-video.json
  $ kling-video replay histories/
  $ kling-video replay h1.json h2.json --json

Exit codes: 0 every history replays · 2 a history is unreadable or none was found · 3 a history does not replay
            (a non-deterministic change: do not roll this version out to workers with such runs in flight)
JSON: {"replayed","failed","histories":[{"name","workflowId","error"?}]}`,
    )
    .action(
      action(ctx, async (paths: string[], opts: { json?: boolean }) => {
        // Every file read first (an unreadable one is named), then one replay: the workflows are bundled once.
        const inputs: ReplayHistoryInput[] = [];
        for (const file of await historyFiles(paths)) {
          try {
            inputs.push({ name: path.basename(file).replace(/\.json$/, ''), history: JSON.parse(await readFile(file, 'utf8')) as unknown });
          } catch (err) {
            throw CliError.invalid([{ field: file, message: `not a readable JSON history: ${err instanceof Error ? err.message : String(err)}` }]);
          }
        }
        // A history that does not replay makes the SDK log a warning; the result says the same, and stdout stays clean.
        Runtime.install({
          logger: new DefaultLogger('ERROR'),
          telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
        });
        const results = await replayHistories(inputs);
        if (results.length === 0)
          throw CliError.invalid([{ field: 'path', message: 'no history found (give .json files or directories holding them)' }]);
        const failed = results.filter((r) => r.error);
        const report = {
          replayed: results.length,
          failed: failed.length,
          histories: results.map((r) => ({
            name: r.name,
            workflowId: r.workflowId,
            ...(r.error ? { error: `${r.error.name}: ${r.error.message}` } : {}),
          })),
        };
        if (!opts.json) {
          for (const r of results)
            ctx.output.out(`${r.error ? 'FAIL' : 'ok  '} ${r.name} (${r.workflowId})${r.error ? `: ${r.error.name}: ${r.error.message}` : ''}`);
          ctx.output.out(`${results.length - failed.length} of ${results.length} replayed without a determinism error`);
        }
        // With --json, one document: the report, or the error carrying it.
        if (failed.length > 0)
          throw new CliError(
            ExitCode.GenerationFailed,
            'ReplayFailed',
            `${failed.length} of ${results.length} histories do not replay on this version: ${failed.map((f) => f.name).join(', ')}`,
            undefined,
            report,
          );
        if (opts.json) printJson(ctx.output, report);
      }),
    );
}

/** The paths given, directories replaced by their `*.json` files (sorted); a missing path is named. */
async function historyFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    const info = await stat(given).catch(() => undefined);
    if (!info) throw CliError.invalid([{ field: given, message: 'no such file or directory' }]);
    if (!info.isDirectory()) files.push(given);
    else
      files.push(
        ...(await readdir(given))
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => path.join(given, f)),
      );
  }
  return files;
}
