// The approval gate on real Temporal: an estimate above the threshold waits for the `approve` / `reject` Update
// (through VideoGenerationClient and the `kling-video approve|reject` commands) or its timeout, and nothing
// reaches Kling before an approval.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient, type GenerationRequest } from '../../src/client.js';
import { COST_MEMO_KEY } from '../../src/contract/costs.js';
import { FailureType } from '../../src/contract/failure-types.js';
import { KlingPhase } from '../../src/contract/search-attributes.js';
import { progressQuery } from '../../src/workflows/index.js';
import { cleanEnv, json, runCliInProcess } from '../cli/cli-process.js';
import { captureHistory } from '../support/histories.js';
import { testServers, uniqueId } from '../support/servers.js';
import { creates, failureOf, FAST_POLL, useGenerationStack } from '../support/suite.js';

const PROMPT = 'A glassblower shapes a glowing orange vase in a dark workshop, close-up, sparks, shallow depth of field';
const T2V: GenerationRequest = { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 }; // 15 credits

let videos: VideoGenerationClient;

const suite = useGenerationStack();
beforeAll(() => {
  videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
});

const cliEnv = () => cleanEnv({ TEMPORAL_ADDRESS: testServers().temporalAddress, TEMPORAL_NAMESPACE: testServers().temporalNamespace });

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`${what}: not in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function awaitingApproval(workflowId: string) {
  return until('awaiting approval', async () => {
    const p = await suite.env.client.workflow.getHandle(workflowId).query(progressQuery);
    return p.approval?.state === 'pending' ? p : undefined;
  });
}

describe('approval gate', () => {
  it('waits before submitting, is searchable while pending, refuses an anonymous approval, then records who approved', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('approve');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL, approval: { aboveCredits: 10, timeout: '5 minutes' } } });
      const progress = await awaitingApproval(workflowId);
      expect(progress.phase).toBe('awaiting_approval');
      expect(progress.approval).toMatchObject({ state: 'pending', aboveCredits: 10, estimatedCredits: 15 });
      expect((await suite.env.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(KlingPhase)).toBe('awaiting_approval');
      // Pending approvals are found by a visibility query (what the Temporal UI's search box runs).
      await until('visible as pending', async () => {
        for await (const wf of suite.env.client.workflow.list({
          query: `KlingPhase = 'awaiting_approval' AND TaskQueue = '${suite.stack.taskQueue}'`,
        }))
          if (wf.workflowId === workflowId) return true;
        return false;
      });
      expect((await suite.env.client.workflow.getHandle(workflowId).describe()).memo?.[COST_MEMO_KEY]).toMatchObject({
        estimatedCredits: 15,
        submission: 'none',
      });

      const anonymous = await videos.approve(workflowId, { by: '  ' }).catch((e: unknown) => e);
      expect(anonymous).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((anonymous as WorkflowUpdateFailedError).cause?.message).toMatch(/"by"/);
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(0);

      const decision = await videos.approve(workflowId, { by: 'alice', note: 'launch campaign' });
      expect(decision).toMatchObject({ state: 'approved', by: 'alice', note: 'launch campaign', estimatedCredits: 15 });
      const result = await videos.result(workflowId);
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'approval-granted');
      expect(result.approvedBy).toBe('alice');
      expect(result.timingsMs.approving).toBeGreaterThan(0);
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(1);
      expect((await suite.env.client.workflow.getHandle(workflowId).describe()).memo?.[COST_MEMO_KEY]).toMatchObject({
        approvedBy: 'alice',
        outcome: 'succeeded',
      });

      // Decided and finished: a late decision is refused (the generation has ended) and changes nothing.
      const late = await videos.reject(workflowId, { by: 'bob', reason: 'too late' }).catch((e: unknown) => e);
      expect(late).toBeInstanceOf(WorkflowNotFoundError);
      expect((late as Error).message).toMatch(/already completed/);
      expect((await videos.result(workflowId)).approvedBy).toBe('alice');
    });
  });

  it('an estimate at or below the threshold does not wait, and an approval sent to it is refused', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('below');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL, approval: { aboveCredits: 15 } } });
      const refused = await videos.approve(workflowId, { by: 'alice' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      const result = await videos.result(workflowId);
      expect(result.approvedBy).toBeUndefined();
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(1);
    });
  });

  it('`kling-video reject` fails the generation with ApprovalRejected naming who and why; nothing was submitted', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('reject');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL, approval: { aboveCredits: 0 } } });
      await awaitingApproval(workflowId);
      const run = await runCliInProcess(['reject', workflowId, '--by', 'bob', '--reason', 'over the monthly budget', '--json'], { env: cliEnv() });
      expect(run.code, run.stderr).toBe(0);
      expect(json(run)).toMatchObject({ workflowId, state: 'rejected', by: 'bob', reason: 'over the monthly budget', estimatedCredits: 15 });

      const failure = await failureOf(videos.result(workflowId));
      expect(failure.type).toBe(FailureType.ApprovalRejected);
      expect(failure.message).toMatch(/rejected by bob: over the monthly budget.*15 credits/);
      expect(failure.details?.[0]).toMatchObject({ by: 'bob', reason: 'over the monthly budget', timedOut: false, estimatedCredits: 15 });
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(0);
      expect((await suite.env.client.workflow.getHandle(workflowId).describe()).memo?.[COST_MEMO_KEY]).toMatchObject({
        outcome: 'approval_rejected',
        submission: 'none',
      });

      // Nothing pending any more: the CLI exits 2 with the validator's reason.
      const again = await runCliInProcess(['approve', workflowId, '--by', 'alice', '--json'], { env: cliEnv() });
      expect(again.code).toBe(2);
      expect(json<{ error: { type: string; message: string } }>(again).error).toMatchObject({ type: 'ApprovalRefused' });
      expect(json<{ error: { message: string } }>(again).error.message).toMatch(/no approval is pending: the generation has already ended/);
    });
  });

  it('`kling-video approve` lets it submit', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('cliok');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL, approval: { aboveCredits: 0 } } });
      await awaitingApproval(workflowId);
      const run = await runCliInProcess(['approve', workflowId, '--by', 'carol'], { env: cliEnv() });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`approved ${workflowId} by carol`);
      expect((await videos.result(workflowId)).approvedBy).toBe('carol');
    });
  });

  it('an approval that times out rejects the generation, nothing spent', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('timeout');
      await videos.startVideoGeneration(T2V, { workflowId, options: { poll: FAST_POLL, approval: { aboveCredits: 10, timeout: '1s' } } });
      const failure = await failureOf(videos.result(workflowId));
      await captureHistory(suite.env.client.workflow.getHandle(workflowId), 'approval-timed-out');
      expect(failure.type).toBe(FailureType.ApprovalRejected);
      expect(failure.message).toMatch(/nobody approved it within 1 s/);
      expect(failure.details?.[0]).toMatchObject({ timedOut: true, estimatedCredits: 15, aboveCredits: 10, timeoutMs: 1000 });
      expect(creates(suite.stack.sim, { workflowId }).length).toBe(0);
      const progress = await suite.env.client.workflow.getHandle(workflowId).query(progressQuery);
      expect(progress.approval?.state).toBe('timed_out');
      expect(progress.outcome).toBe('approval_rejected');
    });
  });
});
