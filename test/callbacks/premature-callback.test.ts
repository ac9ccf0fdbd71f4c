// Issue 13: Kling can call back `succeeded` before its own task query says so. The workflow's confirming query
// then finds the task still processing; the real completion must still be collected within seconds, not at the
// next fallback poll (33 s and 61 s were observed). generateVideo on the real Temporal dev server, the simulator
// (tasks finished by hand, so the premature callback is certainly premature) sending signed callbacks to the
// receiver, fake-gcs-server storing the result. The fallback poll is 60 s, so a result within seconds of the
// completion was not the fallback poll's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, temporalSignaller, type CallbackReceiver } from '../../src/callbacks/index.js';
import { VideoGenerationClient } from '../../src/client.js';
import type { GenerateVideoResult } from '../../src/contract/generation.js';
import { signWebhook } from '../../src/simulator/index.js';
import type { SimTaskView } from '../../src/simulator/task-view.js';
import { captureHistory } from '../support/histories.js';
import { uniqueId } from '../support/servers.js';
import { useGenerationStack } from '../support/suite.js';

const SECRET = 'whsec_cHJlbWF0dXJlLWNhbGxiYWNrLXNlY3JldC0zMmJ5dGU=';
const PROMPT = 'A heron lifts off a misty canal at dawn, slow motion, reflections rippling, muted colours';
const FALLBACK_MS = 60_000;
/** Completion to result: the confirming query or a re-check, then the rehost. The fallback poll would take ~60 s. */
const PROMPT_COLLECTION_MS = 5_000;

let receiver: CallbackReceiver;
let videos: VideoGenerationClient;

// The receiver first: its URL goes into every create. Closed after the stack (hooks run in reverse).
afterAll(async () => receiver?.close());
const suite = useGenerationStack(async (env) => {
  receiver = await startCallbackReceiver({
    signal: temporalSignaller(env.client),
    secrets: [SECRET],
    port: 0,
    host: '127.0.0.1',
    logger: { info: () => undefined, warn: () => undefined },
  });
  return {
    // Tasks stay processing until a test completes them (sim.completeTask).
    simulator: { schedule: { submittedMs: 200, processingMs: 10 * 60_000 }, callbacks: { secrets: [SECRET] } },
    callbacks: { callbackUrl: `${receiver.url}/kling/callback`, callbackFallbackPoll: { initialInterval: FALLBACK_MS, maxInterval: FALLBACK_MS } },
  };
});
beforeAll(() => {
  videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Starts a generation and returns its Kling task once it is processing and the workflow is waiting on it. */
async function startProcessing(workflowId: string): Promise<SimTaskView> {
  await videos.startVideoGeneration({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, { workflowId });
  const task = await until('the task to be processing', () =>
    suite.stack.sim.tasks().find((t) => t.externalTaskId?.startsWith(workflowId) && t.status === 'processing'),
  );
  await until('the workflow to wait for the task', async () => ((await videos.getProgress(workflowId)).phase === 'generating' ? true : undefined));
  return task;
}

/** What Kling did in issue 13: a correctly signed `succeeded` for a task its query still reports as processing. */
async function postPrematureSucceeded(task: SimTaskView): Promise<void> {
  const body = JSON.stringify({
    id: task.id,
    status: 'succeeded',
    message: '',
    create_time: task.createdAt,
    update_time: Date.now(),
    external_id: task.externalTaskId,
    outputs: [],
  });
  const id = uniqueId('premature');
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await fetch(`${receiver.url}/kling/callback`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook([SECRET], id, timestamp, body),
    },
    body,
  });
  expect(res.status).toBe(200);
}

/** Completes the task after the workflow's query contradicted the premature callback; ms from completion to result. */
async function completeAfterPrematureCallback(
  workflowId: string,
  task: SimTaskView,
): Promise<{ result: GenerateVideoResult; collectedAfterMs: number }> {
  await postPrematureSucceeded(task);
  await until('the query answering the premature callback', async () => {
    const progress = await videos.getProgress(workflowId);
    return progress.polls >= 1 ? progress : undefined;
  });
  expect(suite.stack.sim.task(task.id)?.status).toBe('processing');
  // Kling's query catches up a moment later.
  await sleep(1_500);
  const completedAt = Date.now();
  suite.stack.sim.completeTask(task.id);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${workflowId} was not collected within 20 s of its completion (the fallback poll is ${FALLBACK_MS} ms)`)),
      20_000,
    );
  });
  try {
    const result = await Promise.race([videos.result(workflowId), late]);
    return { result, collectedAfterMs: Date.now() - completedAt };
  } finally {
    clearTimeout(timer);
  }
}

async function signalledStatuses(workflowId: string): Promise<string[]> {
  const history = await suite.env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.workflowExecutionSignaledEventAttributes)
    .map(
      (e) =>
        (JSON.parse(Buffer.from(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!.data!).toString('utf8')) as { status: string })
          .status,
    );
}

describe('a premature succeeded callback', () => {
  it('does not swallow the genuine one: the real completion wakes the workflow at once', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cb-premature');
      const task = await startProcessing(workflowId);
      const { result, collectedAfterMs } = await completeAfterPrematureCallback(workflowId, task);
      await suite.stack.sim.callbacks.idle();

      expect(result.klingTaskId).toBe(task.id);
      expect(result.size).toBeGreaterThan(0);
      expect(collectedAfterMs).toBeLessThan(PROMPT_COLLECTION_MS);
      // The simulator's genuine `succeeded` (its own webhook id) reached the workflow after the premature one.
      const genuine = suite.stack.sim.callbacks.deliveries().filter((d) => d.taskId === task.id && d.status === 'succeeded');
      expect(genuine.map((d) => d.httpStatus)).toEqual([200]);
      expect(await signalledStatuses(workflowId)).toEqual(['processing', 'succeeded', 'succeeded']);
    });
  });

  it('is re-checked soon when the genuine callback is lost: the workflow collects the video within seconds', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cb-recheck');
      suite.stack.sim.callbacks.script([{ kind: 'drop', status: 'succeeded', externalIdPrefix: workflowId }]);
      const task = await startProcessing(workflowId);
      const { result, collectedAfterMs } = await completeAfterPrematureCallback(workflowId, task);
      await suite.stack.sim.callbacks.idle();
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'callback-recheck');

      expect(collectedAfterMs).toBeLessThan(PROMPT_COLLECTION_MS);
      expect(
        suite.stack.sim.callbacks
          .deliveries()
          .filter((d) => d.taskId === task.id)
          .map((d) => [d.status, d.fault]),
      ).toEqual([
        ['processing', null],
        ['succeeded', 'drop'],
      ]);
      expect(await signalledStatuses(workflowId)).toEqual(['processing', 'succeeded']);
      // The query answering the callback, then re-checks 1 s and 2 s later (the second one finds it done).
      expect(result.polls).toBeGreaterThanOrEqual(2);
      expect(result.polls).toBeLessThanOrEqual(4);
    });
  });
});
