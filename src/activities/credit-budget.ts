import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import {
  CREDIT_BUDGET_WORKFLOW_TYPE,
  creditBudgetWorkflowId,
  reserveCreditsUpdate,
  type CreditDecision,
  type CreditReservation,
} from '../contract/credit-budget-messages.js';

/**
 * Reserves credits in the task queue's rolling budget: Update-with-Start on the `creditBudget` entity workflow
 * (started on first use, joined afterwards). Why an activity: workflow code can signal another workflow but can
 * neither send it an Update nor start a workflow that is not its child, and a child would belong to one parent
 * while the budget must outlive every generation. The Update answers synchronously (granted or refused with the
 * numbers) and is deduplicated by its id, so a retried attempt cannot reserve twice.
 */
export async function reserveCredits(args: { taskQueue: string; reservation: CreditReservation }): Promise<CreditDecision> {
  const client = Context.current().client;
  const workflowId = creditBudgetWorkflowId(args.taskQueue);
  const startWorkflowOperation = new WithStartWorkflowOperation(CREDIT_BUDGET_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: args.taskQueue,
    args: [],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return client.workflow.executeUpdateWithStart(reserveCreditsUpdate, {
    args: [args.reservation],
    updateId: args.reservation.key,
    startWorkflowOperation,
  });
}
