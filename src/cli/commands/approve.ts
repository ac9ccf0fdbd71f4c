import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerApprovalDecision } from './approval-decision.js';

export function registerApprove(program: Command, ctx: CliContext): void {
  registerApprovalDecision(program, ctx, {
    name: 'approve',
    description: 'Approve a generation waiting at the approval gate (estimate above options.approval.aboveCredits): it submits to Kling.',
    extraOptions: (cmd) => cmd.option('--note <text>', 'a note kept with the decision'),
    send: (session, workflowId, opts) => session.videos.approve(workflowId, { by: opts.by!, ...(opts.note ? { note: opts.note } : {}) }),
    examples: `
Examples:
  $ kling-video approve order-4711-video --by alice
  $ kling-video list --query "KlingPhase = 'awaiting_approval'"     # what is waiting

JSON: {"workflowId","state":"approved","by","note"?,"estimatedCredits"}.
Exit 2 when nothing is pending for that workflow (already decided, timed out, no gate) or --by is empty.`,
  });
}
