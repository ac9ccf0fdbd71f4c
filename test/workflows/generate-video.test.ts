import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FailureType } from '../../src/contract/failure-types.js';
import type { GenerateVideoInput, GenerateVideoResult } from '../../src/contract/generation.js';
import { generateVideo, progressQuery } from '../../src/workflows/index.js';
import { captureHistory } from '../support/histories.js';
import { gcsStorage, uniqueId } from '../support/servers.js';
import { creates, failureOf, FAST_POLL, taskQueries, useGenerationStack } from '../support/suite.js';

const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, soft bokeh background, golden hour lighting, macro lens, 4K';

const suite = useGenerationStack();

function start(input: GenerateVideoInput, workflowId = uniqueId('gen')) {
  return suite.env.client.workflow.start(generateVideo, { args: [input], workflowId, taskQueue: suite.stack.taskQueue });
}

/** Downloads the simulator answered as an expired link (its `expired` fault), over the whole file. */
const expiredDownloads = () => suite.stack.sim.requests.filter((r) => r.routeKind === 'download' && r.fault === 'expired').length;

async function readObject(objectName: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of suite.stack.storage.read(objectName) as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function expectStored(result: GenerateVideoResult) {
  const bytes = await readObject(result.objectName);
  expect(bytes.length).toBe(result.size);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(suite.stack.sim.videoSha256(result.klingTaskId));
  expect(createHash('md5').update(bytes).digest('base64')).toBe(result.md5Base64);
  const stat = await suite.stack.storage.stat(result.objectName);
  expect(stat?.contentType).toBe('video/mp4');
  expect(stat?.metadata).toMatchObject({ klingTaskId: result.klingTaskId, model: result.model, externalTaskId: result.externalTaskId });
  expect(result.uri).toBe(`gs://${suite.stack.bucket}/videos/${result.objectName}`);
  expect(result.url).toMatch(/^https?:\/\//);
  expect(result.url).not.toContain(new URL(suite.stack.sim.url).host);
}

describe('generateVideo on the dev server, the Kling simulator and fake-gcs-server', () => {
  it('text-to-video (new standard): submits once, rehosts the exact bytes with metadata, returns the permanent location', async () => {
    await suite.stack.run(async () => {
      const handle = await start({
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 },
        options: { poll: FAST_POLL },
      });
      const result = await handle.result();
      await captureHistory(handle, 't2v-succeeded');
      await expectStored(result);
      const stat = await suite.stack.storage.stat(result.objectName);
      expect(result).toMatchObject({ model: 'kling-2.6', standard: 'new', submissions: 1, credits: { estimated: 15 } });
      // Actual credits are Kling's own deduction (simulator: chargedUnits) in credits (10 per unit).
      expect(result.credits.actual).toBe(suite.stack.sim.task(result.klingTaskId)!.chargedUnits! * 10);
      expect(stat?.metadata.creditsActual).toBe(String(result.credits.actual));
      expect(result.lint?.score).toBe(100);
      expect(result.polls).toBeGreaterThanOrEqual(1);
      expect(result.timingsMs.total).toBeGreaterThan(0);
      expect(stat?.metadata.promptSha256).toBe(createHash('sha256').update(PROMPT).digest('hex'));
      expect(suite.stack.sim.tasks().filter((t) => t.externalTaskId === result.externalTaskId)).toHaveLength(1);
      const progress = await handle.query(progressQuery);
      expect(progress).toMatchObject({ phase: 'completed', klingTaskId: result.klingTaskId });
    });
  });

  it('image-to-video (legacy standard): the duration goes out as a string and the video is rehosted', async () => {
    await suite.stack.run(async () => {
      const request = { model: 'kling-v1-6', kind: 'image-to-video', image: 'https://example.com/first.png', prompt: PROMPT, duration: 10 };
      const handle = await start({ request, options: { poll: FAST_POLL } });
      const result = await handle.result();
      await captureHistory(handle, 'i2v-legacy-succeeded');
      await expectStored(result);
      expect(result.standard).toBe('legacy');
      const create = creates(suite.stack.sim).find((r) => (r.body as { external_task_id?: string })?.external_task_id === result.externalTaskId);
      expect(create?.path).toBe('/v1/videos/image2video');
      expect((create?.body as { duration: unknown }).duration).toBe('10');
    });
  });

  it('a failed Kling task fails with VideoGenerationFailed carrying Kling’s message, without a retry storm', async () => {
    await suite.stack.run(async () => {
      const before = suite.stack.sim.requests.length;
      const request = { model: 'kling-2.6', kind: 'text-to-video', prompt: `${PROMPT} [sim:fail Image pixel is invalid]` };
      const handle = await start({ request, options: { poll: FAST_POLL } });
      const failure = await failureOf(handle.result());
      await captureHistory(handle, 'kling-failed');
      expect(failure.type).toBe(FailureType.VideoGenerationFailed);
      expect(failure.message).toContain('Image pixel is invalid');
      expect(failure.nonRetryable).toBe(true);
      // One create; the status check may then read the account's deduction records (a POST, billed nothing).
      expect(creates(suite.stack.sim, { since: before })).toHaveLength(1);
      expect(suite.stack.sim.requests.length - before).toBeLessThan(15);
    });
  });

  it('invalid input fails at once with InvalidVideoRequest naming the field, before any simulator call', async () => {
    await suite.stack.run(async () => {
      const before = suite.stack.sim.requests.length;
      const cases: Array<[GenerateVideoInput, string]> = [
        [{ request: { model: 'kling-v2-1', kind: 'text-to-video', prompt: PROMPT } }, 'request.kind'],
        [{ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 7 } }, 'request.duration'],
        [
          {
            request: {
              model: 'kling-v1-5',
              kind: 'image-to-video',
              image: 'https://example.com/a.png',
              imageTail: 'https://example.com/b.png',
              cameraControl: { type: 'simple', config: { zoom: 5 } },
            },
          },
          'request.imageTail, cameraControl',
        ],
        [{ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { deadline: 'soon' } }, 'options.deadline'],
        [
          { request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { destination: { prefix: '../x' } } },
          'options.destination.prefix',
        ],
        [
          { request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { activityTimeouts: { rehostHeartbeat: 'soon' } } },
          'options.activityTimeouts.rehostHeartbeat',
        ],
      ];
      for (const [input, field] of cases) {
        const handle = await start(input);
        const failure = await failureOf(handle.result());
        if (field === 'request.duration') await captureHistory(handle, 'invalid-input');
        expect(failure.type).toBe(FailureType.InvalidVideoRequest);
        const issues = (failure.details?.[0] as { issues: Array<{ field: string }> }).issues;
        expect(issues.map((i) => i.field)).toContain(field);
      }
      const budget = await failureOf(
        (await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, audio: true }, options: { maxCredits: 49 } })).result(),
      );
      expect(budget.type).toBe(FailureType.BudgetExceeded);
      expect(budget.message).toContain('maxCredits');
      expect(suite.stack.sim.requests.length).toBe(before);
    });
  });

  it('transient faults (5xx, 1303, connection reset) are retried and the video still arrives once', async () => {
    await suite.stack.run(async () => {
      suite.stack.sim.faults.script([
        { route: 'create', kind: 'http-5000' },
        { route: 'create', kind: 'concurrency-1303' },
        { route: 'query', kind: 'connection-reset' },
        { route: 'query', kind: 'http-5001' },
        { route: 'download', kind: 'http-5002' },
      ]);
      // The download's 5xx is retried after 500 ms instead of the default 5 s.
      const options = { poll: FAST_POLL, activityTimeouts: { rehostRetryInitialInterval: 500 } };
      const handle = await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options });
      const result = await handle.result();
      await captureHistory(handle, 'transient-faults');
      await expectStored(result);
      expect(suite.stack.sim.tasks().filter((t) => t.externalTaskId === result.externalTaskId)).toHaveLength(1);
    });
  });

  it('a create the simulator accepted but answered too late creates exactly one task', async () => {
    await suite.stack.run(async () => {
      suite.stack.sim.faults.script([{ route: 'create', kind: 'accept-then-hang' }]);
      const result = await (
        await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { poll: FAST_POLL } })
      ).result();
      await expectStored(result);
      expect(suite.stack.sim.tasks().filter((t) => t.externalTaskId === result.externalTaskId)).toHaveLength(1);
    });
  });

  it('the rehost downloads from the URL the status check read: no Kling query of its own', async () => {
    await suite.stack.run(async () => {
      const result = await (
        await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { poll: FAST_POLL } })
      ).result();
      await expectStored(result);
      expect(taskQueries(suite.stack.sim, result.klingTaskId)).toHaveLength(result.polls);
    });
  });

  it('a link read moments ago that no longer serves: the rehost asks Kling for a fresh one and stores the video', async () => {
    await suite.stack.run(async () => {
      const before = expiredDownloads();
      suite.stack.sim.faults.script([{ route: 'download', kind: 'expired' }]);
      const result = await (
        await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { poll: FAST_POLL } })
      ).result();
      await expectStored(result);
      expect(expiredDownloads() - before).toBe(1);
      expect(taskQueries(suite.stack.sim, result.klingTaskId)).toHaveLength(result.polls + 1);
    });
  });

  it('an expired CDN link, fresh from Kling too, fails with VideoUrlExpired and stores nothing', async () => {
    await suite.stack.run(async () => {
      const before = expiredDownloads();
      // The link the status check read, then the one the rehost asked Kling for.
      suite.stack.sim.faults.script([
        { route: 'download', kind: 'expired' },
        { route: 'download', kind: 'expired' },
      ]);
      const workflowId = uniqueId('expired');
      const failure = await failureOf(
        (await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { poll: FAST_POLL } }, workflowId)).result(),
      );
      expect(failure.type).toBe(FailureType.VideoUrlExpired);
      expect(expiredDownloads() - before).toBe(2);
      // Nothing stored: not under the workflow's object name, nor anywhere in the bucket with its id.
      const objectName = `kling-videos/${createHash('sha256').update(workflowId).digest('hex').slice(0, 32)}.mp4`;
      expect(await suite.stack.storage.stat(objectName)).toBeUndefined();
      const [files] = await gcsStorage().bucket(suite.stack.bucket).getFiles();
      expect(files.filter((f) => f.metadata.metadata?.workflowId === workflowId)).toEqual([]);
    });
  });

  it('starting the same workflow id twice runs one generation', async () => {
    await suite.stack.run(async () => {
      const id = uniqueId('same');
      const input = { request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { poll: FAST_POLL } };
      const a = await start(input, id);
      const b = await suite.env.client.workflow.start(generateVideo, {
        args: [input],
        workflowId: id,
        taskQueue: suite.stack.taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      expect(b.firstExecutionRunId).toBe(a.firstExecutionRunId);
      await a.result();
    });
  });
});
