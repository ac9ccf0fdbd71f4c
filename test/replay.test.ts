import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowIdFromExternalTaskId } from '../src/contract/constants.js';
import { SIM_CREDENTIALS } from './support/generation-stack.js';
import { HISTORIES_DIR } from './support/histories.js';
import { installQuietTemporalRuntime } from './support/servers.js';
import { bundleWorkflows } from './support/workflow-bundle.js';
import { workflowInterceptorModules } from '../src/worker.js';

// A non-deterministic change to the workflow code fails here, in every run, before it reaches production.
const REQUIRED = [
  't2v-succeeded',
  'i2v-legacy-succeeded',
  'kling-failed',
  'transient-faults',
  'invalid-input',
  'deadline-timed-out',
  // Histories of the costs features (patched 'kling-costs-v1').
  'approval-granted',
  'approval-timed-out',
  'cancelled-abandoned-billed',
  'cancelled-before-submit',
  'cancelled-collected',
  'costs-drift-succeeded',
  'costs-failed-deduction',
  'daily-budget-refused',
  'submission-unknown',
  // generateBatch with its status watcher (patched 'kling-batch-polling-v1'), early slot release ('kling-slot-release-v1').
  'batch-polled',
  'batch-slot-release',
  'batch-item-slot-release',
  'batch-mixed',
  // A callback announcing processing wakes nothing ('kling-end-hints-v1'); before it, every callback woke the loop.
  'callback-end-hints',
  'callback-woken',
  // A callback's end the status query contradicted is re-checked after 1 s, 2 s, … ('kling-callback-recheck-v1').
  'callback-recheck',
  // adoptVideo, and the two phase deadlines.
  'adopt-succeeded',
  'deadline-queued-too-long',
  'deadline-processing-too-long',
  // Lookups failing after an unknown submission keep looking ('kling-unknown-lookup-retry-v1'); a re-run collects
  // the task its earlier run left (plan.earlierTask: recorded data, no patch).
  'submission-unknown-lookups-failing',
  'rerun-collects-earlier-task',
  // Issue 20: an omni-video and a motion-control generation (new kinds, same workflow code).
  'omni-succeeded',
  'motion-control-succeeded',
  // Issue 17: a generation that waited for an account-wide slot ('kling-account-slots-v1'), and the slot entity.
  'account-slots-waited',
  'account-slots-entity',
  // Issue 16: the wait inside activity retries, woken by a callback too ('kling-wait-in-activity-v1').
  'wait-in-activity-succeeded',
  'wait-in-activity-woken',
  // A maxCredits refusal keeps its estimate and the requested model in the cost memo (memo content: no patch).
  'max-credits-refused',
];

interface HistoryJson {
  events: Array<
    Record<string, { workflowId?: string; activityType?: { name: string }; input?: { payloads?: Array<{ data?: string }> } } | undefined>
  >;
}

/**
 * The id the history ran under, where the workflow's commands depend on it: a batch names its children
 * `<batch id>-<index>`, and an item compares its id with its parent's. Histories do not record their own id, so it is
 * read back from the first child's id or from the first submission's external id; other histories replay under
 * their file name.
 */
function recordedWorkflowId(history: HistoryJson): string | undefined {
  for (const event of history.events) {
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (child !== undefined) return /^(.+)-\d+$/.exec(child)?.[1];
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'submitVideoTask') {
      const data = scheduled.input?.payloads?.[0]?.data;
      const externalTaskId = data
        ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { externalTaskId?: string }).externalTaskId
        : undefined;
      return externalTaskId === undefined ? undefined : workflowIdFromExternalTaskId(externalTaskId);
    }
  }
  return undefined;
}

/** Replays the committed histories `files` (names in HISTORIES_DIR) on `workflowBundle`: every one, none failing. */
async function expectAllReplay(workflowBundle: Awaited<ReturnType<typeof bundleWorkflows>>, files: string[]): Promise<void> {
  const histories = await Promise.all(
    files.map(async (f) => {
      const history = JSON.parse(await readFile(path.join(HISTORIES_DIR, f), 'utf8'));
      return { workflowId: recordedWorkflowId(history) ?? f, history };
    }),
  );
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) results.push(result);
  expect(results).toHaveLength(files.length);
  for (const r of results) expect(r.error, `${r.workflowId}: ${String(r.error)}`).toBeUndefined();
}

describe('replay of captured generateVideo histories', () => {
  it('replays every committed history without a determinism error', async () => {
    installQuietTemporalRuntime();
    const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort();
    expect(files.map((f) => f.replace(/\.json$/, ''))).toEqual(expect.arrayContaining(REQUIRED));
    await expectAllReplay(await bundleWorkflows('src/workflows/index.ts'), files);
  });

  it('replays every committed history with the OpenTelemetry workflow interceptors too (tracing switched on mid-run)', async () => {
    installQuietTemporalRuntime();
    // The histories were recorded without tracing: a worker given `tracing` must still replay them (docs/observability.md).
    const workflowBundle = await bundleWorkflows('src/workflows/index.ts', {
      workflowInterceptorModules: workflowInterceptorModules({ tracing: true }),
    });
    await expectAllReplay(workflowBundle, (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort());
  });

  it('holds no credential: every payload decoded, no key, secret or bearer token', async () => {
    const secrets = [SIM_CREDENTIALS.apiKey, SIM_CREDENTIALS.accessKey, SIM_CREDENTIALS.secretKey, 'Bearer '];
    const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json'));
    let payloads = 0;
    for (const f of files) {
      const text = await readFile(path.join(HISTORIES_DIR, f), 'utf8');
      const decoded = [...text.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
      payloads += decoded.length;
      for (const secret of secrets) for (const content of [text, ...decoded]) expect(content.includes(secret), `${f} contains ${secret}`).toBe(false);
    }
    expect(payloads).toBeGreaterThan(50);
  });

  it('detects a non-deterministic change (self-test: a history whose first activity differs must not replay)', async () => {
    installQuietTemporalRuntime();
    const workflowBundle = await bundleWorkflows('src/workflows/index.ts');
    const history = JSON.parse(await readFile(path.join(HISTORIES_DIR, 't2v-succeeded.json'), 'utf8'));
    const scheduled = history.events.find((e: { activityTaskScheduledEventAttributes?: unknown }) => e.activityTaskScheduledEventAttributes);
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'someOtherActivity';
    await expect(Worker.runReplayHistory({ workflowBundle }, history)).rejects.toThrow(/[Nn]ondetermin|DeterminismViolation/);
  });
});
