import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { printJson } from '../output.js';
import { connectTemporal } from '../temporal.js';

export function registerCancel(program: Command, ctx: CliContext): void {
  program
    .command('cancel')
    .description(
      'Cancel a generation. A running transfer stops within seconds and stores nothing. Kling has no cancel endpoint: a submitted task still finishes and is billed.',
    )
    .argument('<workflow-id>', 'the workflow id')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video cancel order-4711-video

JSON: {"workflowId","cancelRequested":true}. An unknown workflow id exits 2.
Afterwards \`kling-video result <id>\` exits 6 (cancelled).`,
    )
    .action(
      action(ctx, async (workflowId: string, opts: { json?: boolean }) => {
        const session = await connectTemporal(ctx);
        try {
          await session.videos.cancel(workflowId);
          if (opts.json) printJson(ctx.output, { workflowId, cancelRequested: true });
          else ctx.output.out(`cancellation requested for ${workflowId}`);
        } finally {
          await session.close();
        }
      }),
    );
}
