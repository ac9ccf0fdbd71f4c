// The floor row's workflows (issue 16): the cheapest Temporal poll loops, bundled on their own (bench/stack.ts)
// and run by a bare worker in the measured agent (bench/agent.ts). Each creates the task on the simulator
// (one create, like a generation's submit), polls its status until `succeeded` and finishes: no validation, no
// budgets, no search attributes, no memo, no queries, no rehost. Three ways to wait:
//   floorActivityTimer       (a) a regular status activity after a workflow timer, per poll: THE floor row
//   floorActivityRetries     (b) one status activity that fails "not done yet" and waits in its retries
//   floorLocalActivityTimer  (c) a local status activity after a workflow timer, per poll
// (a) and (c) wait first and then check, on the project's schedule (same moments as generateVideo's checks);
// (b) checks at once and then after each retry interval: the same moments plus one check at submission.
import { ApplicationFailure, proxyActivities, proxyLocalActivities, sleep, workflowInfo } from '@temporalio/workflow';
import { nextPollInterval } from '../src/workflows/poll-schedule.js';
import type { FloorActivities, FloorTask } from './floor-activities.js';

export interface FloorInput {
  request: Record<string, unknown>;
  /** The project's poll schedule (ms): wait initialMs, then × backoffCoefficient up to maxMs. */
  poll: { initialMs: number; backoffCoefficient: number; maxMs: number };
  /** Gives up this long after the start (the project's `deadline` option). */
  deadlineMs: number;
}

export interface FloorResult {
  /** Status queries made. */
  polls: number;
}

const regular = proxyActivities<FloorActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds' },
});
const local = proxyLocalActivities<FloorActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds' },
});

/** Timer, then status check, until succeeded: shared by (a) and (c), which differ only in the activity proxy. */
async function timerLoop(input: FloorInput, acts: Pick<FloorActivities, 'floorCreate' | 'floorStatus'>): Promise<FloorResult> {
  const deadline = Date.now() + input.deadlineMs;
  const task = await acts.floorCreate({ request: input.request, externalTaskId: workflowInfo().workflowId });
  let interval = input.poll.initialMs;
  let polls = 0;
  for (;;) {
    if (Date.now() >= deadline) throw ApplicationFailure.nonRetryable(`task ${task.taskId} did not finish by the deadline`, 'FloorTimedOut');
    await sleep(Math.min(interval, deadline - Date.now()));
    interval = nextPollInterval(interval, input.poll.backoffCoefficient, input.poll.maxMs);
    polls++;
    if ((await acts.floorStatus(task)) === 'succeeded') return { polls };
  }
}

/** (a) Regular activity + timer per poll: the floor row. */
export async function floorActivityTimer(input: FloorInput): Promise<FloorResult> {
  return timerLoop(input, regular);
}

/**
 * (b) Waiting inside activity retries: the retry policy is the poll schedule (first retry after initialMs, then
 * × backoffCoefficient up to maxMs), attempts unlimited, scheduleToClose = the deadline. The history records the
 * activity once, however many attempts it took.
 */
export async function floorActivityRetries(input: FloorInput): Promise<FloorResult> {
  const task: FloorTask = await regular.floorCreate({ request: input.request, externalTaskId: workflowInfo().workflowId });
  const { floorAwaitSucceeded } = proxyActivities<FloorActivities>({
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: input.deadlineMs,
    retry: {
      initialInterval: input.poll.initialMs,
      // Temporal's retry policy cannot shrink its interval.
      backoffCoefficient: Math.max(1, input.poll.backoffCoefficient),
      maximumInterval: Math.max(input.poll.initialMs, input.poll.maxMs),
      // maximumAttempts unset: unlimited (the scheduleToClose timeout is the limit).
      nonRetryableErrorTypes: ['FloorTaskFailed'],
    },
  });
  return { polls: await floorAwaitSucceeded(task) };
}

/** (c) Local activity + timer per poll: the create and every status check are local activities (marker events). */
export async function floorLocalActivityTimer(input: FloorInput): Promise<FloorResult> {
  return timerLoop(input, local);
}
