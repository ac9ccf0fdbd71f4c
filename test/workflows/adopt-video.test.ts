import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { AdoptVideoInput, AdoptVideoResult } from '../../src/contract/generation.js';
import { adoptVideo, generateVideo } from '../../src/workflows/index.js';
import { createGenerationStack, SIM_CREDENTIALS, type GenerationStack } from '../support/generation-stack.js';
import { captureHistory } from '../support/histories.js';
import { testServers, uniqueId } from '../support/servers.js';
import { cleanEnv, runCliInProcess } from '../cli/cli-process.js';
import { creates, failureOf, FAST_POLL, useGenerationStack } from '../support/suite.js';

const PROMPT = 'A lighthouse on a cliff at dusk, waves crashing below, slow aerial orbit, cinematic';
const POLL = { ...FAST_POLL, initialInterval: 100, maxInterval: 500 };

const suite = useGenerationStack();

function adopt(input: AdoptVideoInput, workflowId = uniqueId('adopt')) {
  return suite.env.client.workflow.start(adoptVideo, { args: [input], workflowId, taskQueue: suite.stack.taskQueue });
}

async function expectStoredVideoOf(result: AdoptVideoResult, taskId: string) {
  const chunks: Buffer[] = [];
  for await (const chunk of suite.stack.storage.read(result.objectName) as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  const bytes = Buffer.concat(chunks);
  expect(bytes.length).toBe(result.size);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(suite.stack.sim.videoSha256(taskId));
  expect(result.uri).toBe(`gs://${suite.stack.bucket}/videos/${result.objectName}`);
  const stat = await suite.stack.storage.stat(result.objectName);
  expect(stat?.metadata).toMatchObject({ klingTaskId: taskId, adopted: 'true' });
}

describe('adoptVideo on the dev server, the Kling simulator and fake-gcs-server', () => {
  it('adopts a new-standard task by task id (through VideoGenerationClient): waits, rehosts, creates nothing', async () => {
    await suite.stack.run(async () => {
      const externalTaskId = uniqueId('elsewhere');
      // Held in `processing` until the adoption is waiting on it, so the wait itself is exercised.
      const created = await suite.stack.kling.createTask({
        model: 'kling-2.6',
        kind: 'text-to-video',
        prompt: `${PROMPT} [sim:never]`,
        duration: 5,
        externalTaskId,
      });
      expect(created.status).toBe('submitted');
      const before = creates(suite.stack.sim).length;

      const videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
      const handle = await videos.adoptVideo({ taskId: created.taskId }, { options: { poll: POLL } });
      expect(handle.workflowId).toBe(`adopt-${created.taskId}`);
      await expect.poll(async () => (await videos.getProgress(handle.workflowId)).phase, { timeout: 10_000, interval: 100 }).toBe('generating');
      expect((await videos.getProgress(handle.workflowId)).klingTaskId).toBe(created.taskId);
      suite.stack.sim.completeTask(created.taskId);
      const result = await handle.result();
      await captureHistory(handle, 'adopt-succeeded');

      expect(creates(suite.stack.sim)).toHaveLength(before);
      await expectStoredVideoOf(result, created.taskId);
      expect(result).toMatchObject({ klingTaskId: created.taskId, externalTaskId, standard: 'new', submissions: 0, adopted: true });
      expect(result.polls).toBeGreaterThanOrEqual(1);
      // Kling's query names no model or request: no estimate, but the actual deduction (10 credits per unit).
      expect(result.credits.estimated).toBeUndefined();
      expect(result.model).toBeUndefined();
      expect(result.credits.actual).toBe(suite.stack.sim.task(created.taskId)!.chargedUnits! * 10);
      // The object name is derived from the adopting workflow, never from the task or user text.
      expect(result.objectName).toMatch(/^kling-videos\/[0-9a-f]{32}\.mp4$/);

      // Adopting the same task again joins the completed adoption: same object, still no create.
      const again = await videos.adoptVideo({ taskId: created.taskId });
      expect((await again.result()).objectName).toBe(result.objectName);
      expect(creates(suite.stack.sim)).toHaveLength(before);
    });
  });

  it('adopts a legacy task created over the simulator HTTP API, found by its external id (`id`: either kind)', async () => {
    await suite.stack.run(async () => {
      const externalTaskId = uniqueId('legacy-ext');
      const res = await fetch(`${suite.stack.sim.url}/v1/videos/text2video`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SIM_CREDENTIALS.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model_name: 'kling-v1-6', mode: 'std', prompt: PROMPT, duration: '5', external_task_id: externalTaskId }),
      });
      const body = (await res.json()) as { code: number; data: { task_id: string } };
      expect(body.code).toBe(0);
      const taskId = body.data.task_id;
      const before = creates(suite.stack.sim).length;

      const result = await (await adopt({ id: externalTaskId, standard: 'legacy', options: { poll: POLL } })).result();

      expect(creates(suite.stack.sim)).toHaveLength(before);
      await expectStoredVideoOf(result, taskId);
      expect(result).toMatchObject({ klingTaskId: taskId, externalTaskId, standard: 'legacy', adopted: true });
      // Found on the legacy text2video family, where it was created.
      expect(suite.stack.sim.requests.some((r) => r.method === 'GET' && r.standard === 'legacy' && r.path.includes('/v1/videos/text2video/'))).toBe(
        true,
      );
    });
  });

  it("a legacy task found through the new standard's GET /tasks keeps its standard and kind (no standard given)", async () => {
    await suite.stack.run(async () => {
      const created = await suite.stack.kling.createTask({
        model: 'kling-2.6',
        kind: 'image-to-video',
        prompt: PROMPT,
        image: 'https://example.com/first.png',
        duration: 5,
        standard: 'legacy',
      });
      suite.stack.sim.completeTask(created.taskId);
      const before = creates(suite.stack.sim).length;

      const result = await (await adopt({ taskId: created.taskId, options: { poll: POLL } })).result();

      expect(creates(suite.stack.sim)).toHaveLength(before);
      await expectStoredVideoOf(result, created.taskId);
      // `GET /tasks` found it first, but Kling's answer names no standard or kind: it is not relabelled `new`.
      expect(result).toMatchObject({ klingTaskId: created.taskId, standard: 'legacy', adopted: true });
      expect((await suite.stack.storage.stat(result.objectName))?.metadata).toMatchObject({ klingStandard: 'legacy' });
      // Its real kind: the rehost's fresh lookup went to the image2video family, not text2video or /tasks.
      const lookups = suite.stack.sim.requests.filter((r) => r.method === 'GET' && (r.path.endsWith(`/${created.taskId}`) || r.path === '/tasks'));
      expect(lookups.at(-1)?.path).toBe(`/v1/videos/image2video/${created.taskId}`);
    });
  });

  it('an unknown id fails with KlingTaskNotFound naming the field; nothing is created', async () => {
    await suite.stack.run(async () => {
      const before = creates(suite.stack.sim).length;
      const byTask = await failureOf((await adopt({ taskId: 'no-such-task-123', standard: 'new' })).result());
      expect(byTask.type).toBe(FailureType.KlingTaskNotFound);
      expect(byTask.nonRetryable).toBe(true);
      expect(byTask.message).toContain('taskId');
      expect(byTask.details?.[0]).toMatchObject({ issues: [{ field: 'taskId' }], lookedIn: ['new by taskId'] });

      const byExternal = await failureOf((await adopt({ externalTaskId: 'no-such-external-id' })).result());
      expect(byExternal.type).toBe(FailureType.KlingTaskNotFound);
      expect(byExternal.details?.[0]).toMatchObject({ issues: [{ field: 'externalTaskId' }] });
      // Every place was searched: the new standard and the four legacy families.
      expect((byExternal.details?.[0] as { lookedIn: string[] }).lookedIn).toEqual([
        'new by externalTaskId',
        'legacy text-to-video by externalTaskId',
        'legacy image-to-video by externalTaskId',
        'legacy omni-video by externalTaskId',
        'legacy motion-control by externalTaskId',
      ]);

      const neither = await failureOf((await adopt({})).result());
      expect(neither.type).toBe(FailureType.InvalidVideoRequest);
      expect(neither.details?.[0]).toMatchObject({ issues: [{ field: 'taskId' }] });
      expect(creates(suite.stack.sim)).toHaveLength(before);
    });
  });

  it('a generateVideo that timed out names its task and how to adopt it; adopting it later stores the video', async () => {
    await suite.stack.run(async () => {
      const before = creates(suite.stack.sim).length;
      const gen = await suite.env.client.workflow.start(generateVideo, {
        args: [
          {
            request: { model: 'kling-2.6', kind: 'text-to-video', prompt: `${PROMPT} [sim:never]`, duration: 5 },
            options: { deadline: 1_500, poll: POLL },
          },
        ],
        workflowId: uniqueId('gen-timeout'),
        taskQueue: suite.stack.taskQueue,
      });
      const timedOut = await failureOf(gen.result());
      expect(timedOut.type).toBe(FailureType.VideoGenerationTimedOut);
      const details = timedOut.details?.[0] as { taskId: string; externalTaskId: string; deadline: string; adopt: AdoptVideoInput };
      expect(details.taskId).toMatch(/\S/);
      expect(details.externalTaskId).toMatch(/-r[0-9a-f]{12}-1$/);
      expect(details).toMatchObject({ deadline: 'overall', adopt: { taskId: details.taskId, standard: 'new', kind: 'text-to-video' } });
      expect(timedOut.message).toContain(`kling-video adopt ${details.taskId}`);
      expect(creates(suite.stack.sim)).toHaveLength(before + 1);

      // The task finishes after all (Kling kept working on it); adopt it from the failure's own details.
      suite.stack.sim.completeTask(details.taskId);
      const result = await (await adopt({ ...details.adopt, options: { poll: POLL } })).result();
      await expectStoredVideoOf(result, details.taskId);
      expect(result).toMatchObject({ klingTaskId: details.taskId, externalTaskId: details.externalTaskId, adopted: true });
      // Already finished at lookup: no poll needed.
      expect(result.polls).toBe(0);
      expect(creates(suite.stack.sim)).toHaveLength(before + 1);
    });
  });

  it('`kling-video adopt <external id> --by external-id --wait --json` stores the video and prints the result', async () => {
    await suite.stack.run(async () => {
      const externalTaskId = uniqueId('cli-ext');
      const created = await suite.stack.kling.createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5, externalTaskId });
      const before = creates(suite.stack.sim).length;
      const { temporalAddress, temporalNamespace } = testServers();
      const run = await runCliInProcess(['adopt', externalTaskId, '--by', 'external-id', '--poll-interval', '200', '--wait', '--json'], {
        env: cleanEnv({ TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: temporalNamespace, KLING_TASK_QUEUE: suite.stack.taskQueue }),
      });
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout) as { workflowId: string; status: string; result: AdoptVideoResult };
      expect(out).toMatchObject({
        workflowId: `adopt-${externalTaskId}`,
        status: 'completed',
        result: { klingTaskId: created.taskId, externalTaskId, adopted: true },
      });
      await expectStoredVideoOf(out.result, created.taskId);
      expect(creates(suite.stack.sim)).toHaveLength(before);
    });
  });
});

describe('adoptVideo on a worker with only access/secret keys (no API key)', () => {
  let akskStack: GenerationStack;
  beforeAll(async () => {
    akskStack = await createGenerationStack(suite.env, {
      kling: { credentials: { accessKey: SIM_CREDENTIALS.accessKey, secretKey: SIM_CREDENTIALS.secretKey } },
    });
  });
  afterAll(async () => akskStack?.close());

  it('finds a legacy task id given without a standard on the legacy standard, skipping the new one without sending anything', async () => {
    await akskStack.run(async () => {
      const created = await akskStack.kling.createTask({
        model: 'kling-2.6',
        kind: 'image-to-video',
        prompt: PROMPT,
        image: 'https://example.com/first.png',
        duration: 5,
      });
      expect(created.standard).toBe('legacy');
      akskStack.sim.completeTask(created.taskId);

      const handle = await suite.env.client.workflow.start(adoptVideo, {
        args: [{ taskId: created.taskId, options: { poll: POLL } }],
        workflowId: uniqueId('adopt-aksk'),
        taskQueue: akskStack.taskQueue,
      });
      const result = await handle.result();

      expect(result).toMatchObject({ klingTaskId: created.taskId, standard: 'legacy', submissions: 0, adopted: true });
      // No credentials for the new standard: nothing was sent there (no retried "network error" either).
      expect(akskStack.sim.requests.filter((r) => r.standard === 'new')).toEqual([]);
      // Looked up and fetched again under its real kind's family.
      const lookups = akskStack.sim.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${created.taskId}`));
      expect(lookups.at(-1)?.path).toBe(`/v1/videos/image2video/${created.taskId}`);
    });
  });

  it('an unknown id fails at once with KlingTaskNotFound, saying the new standard was not looked in', async () => {
    await akskStack.run(async () => {
      const failure = await failureOf(
        (
          await suite.env.client.workflow.start(adoptVideo, {
            args: [{ taskId: '999999999999999999' }],
            workflowId: uniqueId('adopt-aksk'),
            taskQueue: akskStack.taskQueue,
          })
        ).result(),
      );
      expect(failure.type).toBe(FailureType.KlingTaskNotFound);
      expect(failure.details?.[0]).toMatchObject({
        lookedIn: [
          'legacy text-to-video by taskId',
          'legacy image-to-video by taskId',
          'legacy omni-video by taskId',
          'legacy motion-control by taskId',
        ],
        skipped: ['new (no credentials for it)'],
      });
    });
  });

  it('standard `new` named explicitly fails with a non-retryable KlingCredentialsRejected; nothing is sent', async () => {
    await akskStack.run(async () => {
      const before = akskStack.sim.requests.length;
      const failure = await failureOf(
        (
          await suite.env.client.workflow.start(adoptVideo, {
            args: [{ taskId: '999999999999999999', standard: 'new' }],
            workflowId: uniqueId('adopt-aksk'),
            taskQueue: akskStack.taskQueue,
          })
        ).result(),
      );
      expect(failure.type).toBe(FailureType.KlingCredentialsRejected);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('KLING_API_KEY');
      expect(akskStack.sim.requests.length).toBe(before);
    });
  });
});
