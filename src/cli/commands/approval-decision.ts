import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import type { ApprovalDecision } from '../../contract/messages.js';
import { action, type CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { printJson } from '../output.js';
import { connectTemporal, type TemporalSession } from '../temporal.js';

/** Shared by `approve` and `reject`: sends the Update, maps a refusal (nothing pending, empty --by) to exit 2. */
export function registerApprovalDecision(
  program: Command,
  ctx: CliContext,
  spec: {
    name: 'approve' | 'reject';
    description: string;
    examples: string;
    extraOptions: (cmd: Command) => Command;
    send: (session: TemporalSession, workflowId: string, opts: Record<string, string | undefined>) => Promise<ApprovalDecision>;
  },
): void {
  const cmd = program
    .command(spec.name)
    .description(spec.description)
    .argument('<workflow-id>', 'the workflow id')
    .requiredOption('--by <name>', 'who decides (recorded in the result and the memo)');
  spec
    .extraOptions(cmd)
    .option('--json', 'machine-readable output')
    .addHelpText('after', spec.examples)
    .action(
      action(ctx, async (workflowId: string, opts: Record<string, string | undefined> & { json?: boolean }) => {
        if (!opts.by?.trim()) throw CliError.invalid([{ field: '--by', message: 'must name who decides' }]);
        const session = await connectTemporal(ctx);
        try {
          const decision = await spec.send(session, workflowId, opts).catch((err: unknown) => {
            // Refused by the validator, or sent to a generation that has already ended (Temporal: "not found").
            const reason =
              err instanceof WorkflowUpdateFailedError
                ? (err.cause?.message ?? err.message)
                : err instanceof WorkflowNotFoundError && /already completed/i.test(err.message)
                  ? 'no approval is pending: the generation has already ended'
                  : undefined;
            if (reason === undefined) throw err;
            const error = new CliError(ExitCode.InvalidInput, 'ApprovalRefused', `${spec.name} refused: ${reason}`);
            error.workflowId = workflowId;
            throw error;
          });
          if (opts.json) printJson(ctx.output, { workflowId, ...decision });
          else ctx.output.out(`${decision.state} ${workflowId} by ${decision.by} (${decision.estimatedCredits} credits est.)`);
        } finally {
          await session.close();
        }
      }),
    );
}
