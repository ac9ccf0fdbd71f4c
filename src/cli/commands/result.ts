import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { toCliError } from '../exit-codes.js';
import { printJson } from '../output.js';
import { resultLines } from '../result-format.js';
import type { GenerateVideoResult } from '../../contract/generation.js';
import { connectTemporal, type TemporalSession } from '../temporal.js';

export function registerResult(program: Command, ctx: CliContext): void {
  program
    .command('result')
    .description("A generation's result: waits for it to finish, then prints where the video is stored.")
    .argument('<workflow-id>', 'the workflow id')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video result order-4711-video
  $ kling-video result order-4711-video --json | jq -r .result.uri

JSON: {"workflowId","status":"completed","result":GenerateVideoResult} (exit 0)
      or {"workflowId","error":{"exitCode","type","message","issues"?,"details"?}} with the exit code of the failure.`,
    )
    .action(
      action(ctx, async (workflowId: string, opts: { json?: boolean }) => {
        const session = await connectTemporal(ctx);
        try {
          const result = await resultOrCliError(session, workflowId);
          if (opts.json) printJson(ctx.output, { workflowId, status: 'completed', result });
          else {
            ctx.output.out(`completed ${workflowId}`);
            for (const line of resultLines(result)) ctx.output.out(`  ${line}`);
          }
        } finally {
          await session.close();
        }
      }),
    );
}

/** The completed generation's result, or its failure as the CliError (with the workflow id) the command exits with. */
export async function resultOrCliError(session: TemporalSession, workflowId: string): Promise<GenerateVideoResult> {
  return session.videos.result(workflowId).catch((err: unknown) => {
    const error = toCliError(err);
    error.workflowId = workflowId;
    throw error;
  });
}
