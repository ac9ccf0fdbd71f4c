import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerApprovalDecision } from './approval-decision.js';

export function registerReject(program: Command, ctx: CliContext): void {
  registerApprovalDecision(program, ctx, {
    name: 'reject',
    description: 'Reject a generation waiting at the approval gate: nothing is submitted, it fails with ApprovalRejected.',
    extraOptions: (cmd) => cmd.requiredOption('--reason <text>', 'why (recorded in the failure)'),
    send: (session, workflowId, opts) => session.videos.reject(workflowId, { by: opts.by!, reason: opts.reason ?? '' }),
    examples: `
Examples:
  $ kling-video reject order-4711-video --by alice --reason "over this month's budget"

JSON: {"workflowId","state":"rejected","by","reason","estimatedCredits"}.
Exit 2 when nothing is pending for that workflow or --by / --reason is empty.`,
  });
}
