import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BatchRequest, GenerationRequest } from '../../src/client.js';
import type { AdoptVideoInput } from '../../src/contract/generation.js';
import { KlingClient } from '../../src/kling/index.js';
import { adoptVideo, generateBatch } from '../../src/workflows/index.js';
import { SIM_CREDENTIALS } from '../support/generation-stack.js';
import { uniqueId } from '../support/servers.js';
import { creates, useGenerationStack } from '../support/suite.js';

// Issue 20 item 5: generateBatch and adoptVideo take omni-video and motion-control unchanged (dev server, the Kling
// simulator, fake-gcs-server): a mixed batch is estimated per item from NEW §7.1, looked up by the batch's watcher
// (`GET /tasks?external_task_ids=…`, 20 per call) and stored; an omni or motion-control task created outside
// Temporal is adopted with its kind, and its cost is what Kling deducted; adopted without `kind`, a task's recorded kind
// is the one its legacy family names, or none (GET /tasks names no kind).
const IMG = 'https://cdn.example.com/fox.png';
const VID = 'https://cdn.example.com/moves.mp4';

// Tasks stay in `processing` for 3 s: long enough for the batch's watcher (every 500 ms) to look them up.
const suite = useGenerationStack({ simulator: { schedule: { submittedMs: 200, processingMs: 3_000 }, videoSizeBytes: 2048 } });

async function storedSha256(objectName: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of suite.stack.storage.read(objectName) as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
}

describe('generateBatch with omni-video, motion-control and multi-shot items', () => {
  it("estimates each item from §7.1, looks them up in batches, stores every video and records Kling's deductions", async () => {
    const items: GenerationRequest[] = [
      // 0: Kling 3.0 Omni, no video input, silent, 720p: 0.6 units/s × 5 s = 3 units = 30 credits.
      { model: 'kling-3.0-omni', kind: 'omni-video', prompt: 'The fox from @image_1 trots through snow', referImages: [{ url: IMG }], duration: 5 },
      // 1: Kling O1 with video input, 720p: 0.9 × 5 = 4.5 units = 45 credits.
      { model: 'kling-o1', kind: 'omni-video', prompt: 'A paper boat in the style of @video_1', featureVideo: { url: VID }, duration: 5 },
      // 2: Kling 3.0 motion control 720p, 5 s of output expected: 0.9 × 5 = 4.5 units = 45 credits.
      { model: 'kling-3.0', kind: 'motion-control', image: IMG, motionVideo: VID, characterOrientation: 'video', duration: 5 },
      // 3: Kling 2.6 motion control 720p, no duration: the 10 s maximum assumed, 0.5 × 10 = 5 units = 50 credits;
      //    Kling bills the (simulated) 5 s output: 2.5 units = 25 credits.
      { model: 'kling-2.6', kind: 'motion-control', image: IMG, motionVideo: VID, characterOrientation: 'image' },
      // 4: kling-3.0 multi-shot (2 + 3 s), silent 720p: 0.6 × 5 = 3 units = 30 credits.
      {
        model: 'kling-3.0',
        kind: 'text-to-video',
        multiPrompt: [
          { prompt: 'A fox trots across snow', duration: 2 },
          { prompt: 'The fox leaps into a snowbank', duration: 3 },
        ],
      },
    ];
    const batchId = uniqueId('newkinds');
    const input: BatchRequest = { items: items.map((request) => ({ request })), options: { batchPolling: { interval: '500ms' } } };
    const before = creates(suite.stack.sim).length;
    const result = await suite.stack.run(async () =>
      (await suite.env.client.workflow.start(generateBatch, { args: [input], workflowId: batchId, taskQueue: suite.stack.taskQueue })).result(),
    );

    expect(
      creates(suite.stack.sim)
        .slice(before)
        .map((r) => r.path)
        .sort(),
    ).toEqual([
      '/motion-control/kling-2.6',
      '/motion-control/kling-3.0',
      '/omni-video/kling-3.0-omni',
      '/omni-video/kling-o1',
      '/text-to-video/kling-3.0',
    ]);
    expect(
      creates(suite.stack.sim)
        .slice(before)
        .find((r) => r.path === '/text-to-video/kling-3.0')?.body,
    ).toMatchObject({
      prompt: 'shot 1, 2, A fox trots across snow; shot 2, 3, The fox leaps into a snowbank;',
      settings: { duration: 5, multi_shot: true },
    });
    expect(result.progress).toMatchObject({ total: 5, succeeded: 5, failed: 0, skipped: 0 });
    const byIndex = new Map(result.items.map((o) => [o.index, o]));
    const expected: Array<[string, number, number]> = [
      ['kling-3.0-omni', 30, 30],
      ['kling-o1', 45, 45],
      ['kling-3.0', 45, 45],
      ['kling-2.6', 50, 25],
      ['kling-3.0', 30, 30],
    ];
    for (const [index, [model, estimated, actual]] of expected.entries()) {
      const outcome = byIndex.get(index)!;
      expect(outcome, `item ${index}`).toMatchObject({ outcome: 'succeeded', model, estimatedCredits: estimated, actualCredits: actual });
      if (outcome.outcome !== 'succeeded') continue;
      expect(outcome.uri).toMatch(new RegExp(`^gs://${suite.stack.bucket}/videos/`));
      const objectName = outcome.uri.replace(`gs://${suite.stack.bucket}/videos/`, '');
      expect(await storedSha256(objectName)).toBe(suite.stack.sim.videoSha256(outcome.klingTaskId));
    }
    expect(result.progress.credits).toMatchObject({ estimated: 200, actual: 175 });

    // The batched lookup: the watcher's `GET /tasks?external_task_ids=…` named every item's task.
    const looked = suite.stack.sim.requests
      .filter((r) => r.method === 'GET' && r.path === '/tasks' && (r.query.external_task_ids ?? '').startsWith(`${batchId}-`))
      .flatMap((r) => r.query.external_task_ids!.split(','));
    for (const index of [0, 1, 2, 3, 4])
      expect(
        looked.some((id) => id.startsWith(`${batchId}-${index}-`)),
        `item ${index} looked up`,
      ).toBe(true);
  });
});

describe('adoptVideo with omni-video and motion-control tasks created outside Temporal', () => {
  /** The adoption plan the workflow recorded (planAdoption's result in its history). */
  async function adoptionPlan(workflowId: string): Promise<{ task: { kind?: string; standard: string; taskId: string } }> {
    const history = await suite.env.client.workflow.getHandle(workflowId).fetchHistory();
    for (const event of history.events ?? []) {
      const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
      if (!payload) continue;
      const value = JSON.parse(Buffer.from(payload).toString('utf8')) as { task?: { kind?: string; standard: string; taskId: string } };
      if (value.task?.taskId) return value as { task: { kind?: string; standard: string; taskId: string } };
    }
    throw new Error('no adoption plan in the history');
  }
  const adopt = (input: AdoptVideoInput, workflowId = uniqueId('adopt-newkind')) =>
    suite.env.client.workflow.start(adoptVideo, { args: [input], workflowId, taskQueue: suite.stack.taskQueue });

  it("an omni-video task (created by the Kling client elsewhere) is adopted by task id with its kind; the cost is Kling's deduction", async () => {
    await suite.stack.run(async () => {
      const externalTaskId = uniqueId('omni-elsewhere');
      const created = await suite.stack.kling.createTask({
        model: 'kling-3.0-omni',
        kind: 'omni-video',
        prompt: 'A fox at dusk',
        resolution: '1080p',
        duration: 4,
        externalTaskId,
      });
      const before = creates(suite.stack.sim).length;
      const handle = await adopt({ taskId: created.taskId, kind: 'omni-video', options: { poll: { initialInterval: 200, maxInterval: 500 } } });
      const result = await handle.result();
      expect(creates(suite.stack.sim)).toHaveLength(before);
      expect(result).toMatchObject({ klingTaskId: created.taskId, externalTaskId, standard: 'new', submissions: 0, adopted: true });
      // §7.1 Kling 3.0 Omni, no video input, silent, 1080p: 0.8 units/s × 4 s = 3.2 units = 32 credits.
      expect(suite.stack.sim.task(created.taskId)!.chargedUnits).toBeCloseTo(3.2);
      expect(result.credits.actual).toBeCloseTo(32);
      expect(await storedSha256(result.objectName)).toBe(suite.stack.sim.videoSha256(created.taskId));
      expect((await adoptionPlan(handle.workflowId)).task).toMatchObject({ taskId: created.taskId, standard: 'new', kind: 'omni-video' });
    });
  });

  it("a motion-control task created over the simulator's HTTP API is adopted by its external id with its kind; billed on the output", async () => {
    await suite.stack.run(async () => {
      const externalTaskId = uniqueId('motion-elsewhere');
      const res = await fetch(`${suite.stack.sim.url}/motion-control/kling-3.0`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SIM_CREDENTIALS.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          contents: [
            { type: 'image', url: IMG },
            { type: 'video', url: VID },
          ],
          settings: { character_orientation: 'video', resolution: '1080p' },
          options: { external_task_id: externalTaskId },
        }),
      });
      const body = (await res.json()) as { code: number; data: { id: string } };
      expect(body.code).toBe(0);
      const taskId = body.data.id;
      const before = creates(suite.stack.sim).length;
      const handle = await adopt({ id: externalTaskId, kind: 'motion-control', options: { poll: { initialInterval: 200, maxInterval: 500 } } });
      const result = await handle.result();
      expect(creates(suite.stack.sim)).toHaveLength(before);
      expect(result).toMatchObject({ klingTaskId: taskId, externalTaskId, standard: 'new', adopted: true });
      // §7.1 Kling 3.0 motion control 1080p: 1.2 units/s × the output's rounded seconds (simulated 5.041 s → 5) = 6 units.
      expect(suite.stack.sim.task(taskId)!.chargedUnits).toBeCloseTo(6);
      expect(result.credits.actual).toBeCloseTo(60);
      expect(await storedSha256(result.objectName)).toBe(suite.stack.sim.videoSha256(taskId));
      expect((await adoptionPlan(handle.workflowId)).task).toMatchObject({ taskId, standard: 'new', kind: 'motion-control' });
    });
  });

  it('without `kind`, a new-standard omni task records no kind: GET /tasks names none and no legacy family knows it (not text-to-video)', async () => {
    await suite.stack.run(async () => {
      const created = await suite.stack.kling.createTask({ model: 'kling-o1', kind: 'omni-video', prompt: 'A paper boat', aspectRatio: '1:1' });
      expect(created.standard).toBe('new');
      const handle = await adopt({ taskId: created.taskId, options: { poll: { initialInterval: 200, maxInterval: 500 } } });
      const result = await handle.result();
      expect(result).toMatchObject({ klingTaskId: created.taskId, standard: 'new', adopted: true });
      expect(await storedSha256(result.objectName)).toBe(suite.stack.sim.videoSha256(created.taskId));
      const { task } = await adoptionPlan(handle.workflowId);
      expect(task).toMatchObject({ taskId: created.taskId, standard: 'new' });
      expect(task).not.toHaveProperty('kind');
    });
  });

  it.each([
    ['omni-video', { model: 'kling-v3-omni', kind: 'omni-video', standard: 'legacy', prompt: 'A fox at dusk', aspectRatio: '16:9' }],
    [
      'motion-control',
      { model: 'kling-3.0', kind: 'motion-control', standard: 'legacy', image: IMG, motionVideo: VID, characterOrientation: 'video' },
    ],
  ] as const)(
    'without `kind`, a legacy %s task (found through GET /tasks) is recorded with the kind and standard its family names',
    async (kind, request) => {
      await suite.stack.run(async () => {
        // Created on the legacy standard elsewhere (a client with KLING_LEGACY_PRODUCTS on).
        const elsewhere = new KlingClient({
          baseUrl: suite.stack.sim.url,
          credentials: SIM_CREDENTIALS,
          legacyProducts: ['omni-video', 'motion-control'],
        });
        const created = await elsewhere.createTask(request);
        expect(created.standard).toBe('legacy');
        const handle = await adopt({ taskId: created.taskId, options: { poll: { initialInterval: 200, maxInterval: 500 } } });
        const result = await handle.result();
        expect(result).toMatchObject({ klingTaskId: created.taskId, standard: 'legacy', adopted: true });
        expect(await storedSha256(result.objectName)).toBe(suite.stack.sim.videoSha256(created.taskId));
        expect((await adoptionPlan(handle.workflowId)).task).toMatchObject({ taskId: created.taskId, standard: 'legacy', kind });
        // Polled and fetched again on its own family, not text2video.
        const lookups = suite.stack.sim.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${created.taskId}`));
        expect(lookups.at(-1)?.path).toBe(`/v1/videos/${kind}/${created.taskId}`);
      });
    },
  );
});
