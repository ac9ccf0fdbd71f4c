import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { estimateCredits, KlingClient, KlingValidationError, type KlingTask, type TaskRef } from '../../src/kling/index.js';
import { ManualClock, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { OMNI_REFUSED } from './omni-cases.js';
import { creates } from '../support/creates.js';
import { startCallbackCollector, type CallbackCollector } from '../support/callback-collector.js';

// Issue 20: omni-video through the client against the simulator over HTTP. The simulator's omni validator is written
// from the references (NEW §1.3, §3.3), not from the client: a body the client got wrong would be refused there.
const clock = new ManualClock();
let sim: Simulator;
let callbacks: CallbackCollector;

const client = () => new KlingClient({ baseUrl: sim.url, credentials: { apiKey: 'sim-api-key' }, now: clock.now });
const IMG = 'https://cdn.example.com/a.png';
const IMG2 = 'https://cdn.example.com/b.png';
const VID = 'https://cdn.example.com/ref.mp4';
const omni = {
  model: 'kling-3.0-omni',
  kind: 'omni-video',
  prompt: 'The cat from @image_1 walks across a rooftop at dusk',
  referImages: [{ url: IMG }],
};
const o1 = { model: 'kling-o1', kind: 'omni-video', prompt: 'A paper boat drifts down a rain gutter' };

beforeAll(async () => {
  sim = await startSimulator({ now: clock.now, schedule: { submittedMs: 1_000, processingMs: 5_000 } });
  callbacks = await startCallbackCollector();
});
afterAll(async () => {
  await sim?.close();
  await callbacks?.close();
});
beforeEach(() => {
  sim.reset();
  callbacks.received.length = 0;
});

async function finish(c: KlingClient, ref: TaskRef): Promise<KlingTask> {
  for (let i = 0; i < 20; i++) {
    const task = await c.getTask(ref);
    if (task && (task.status === 'succeeded' || task.status === 'failed')) return task;
    clock.advance(1_000);
  }
  throw new Error('task never finished');
}
const refOf = (t: KlingTask): TaskRef => ({ standard: t.standard, kind: t.kind, taskId: t.taskId });

/** A raw new-standard create, bypassing the client's validation: what the simulator answers on its own. */
async function rawOmni(model: string, body: unknown): Promise<{ status: number; code: number; message: string }> {
  const res = await fetch(`${sim.url}/omni-video/${model}`, {
    method: 'POST',
    headers: { authorization: 'Bearer sim-api-key', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { code: number; message: string };
  return { status: res.status, code: json.code, message: json.message };
}

describe('omni-video: client against the simulator', () => {
  it('kling-3.0-omni: refer images, an element, 4k, native audio → the wire body, success, billing at the §7.1 rate', async () => {
    const c = client();
    const request = {
      ...omni,
      prompt: '@element_1 holds the cup from @image_1',
      elements: [{ elementId: '8675309' }],
      resolution: '4k',
      duration: 4,
      audio: 'native',
      externalTaskId: 'omni-1',
      callbackUrl: callbacks.url,
    };
    const task = await c.createTask(request);
    expect(task).toMatchObject({ standard: 'new', kind: 'omni-video', status: 'submitted' });
    expect(creates(sim).at(-1)).toMatchObject({
      path: '/omni-video/kling-3.0-omni',
      status: 200,
      body: {
        contents: [
          { type: 'prompt', text: '@element_1 holds the cup from @image_1' },
          { type: 'refer_image', url: IMG, id: 'image_1' },
          { type: 'element', element_id: '8675309', id: 'element_1' },
        ],
        settings: { resolution: '4k', duration: 4, audio: 'native', multi_shot: false },
        options: { external_task_id: 'omni-1', callback_url: callbacks.url },
      },
    });
    const done = await finish(c, refOf(task));
    expect(done.status).toBe('succeeded');
    expect(done.videos).toHaveLength(1);
    const estimate = estimateCredits(c.resolve(request));
    expect(estimate.units).toBe(12); // 4 s × 3.0 units/s (4K)
    expect(done.unitsDeducted).toBe(estimate.units);
    // The batch lookup by external id finds it, and the callbacks carried the new-standard task object.
    expect((await c.getTask({ standard: 'new', kind: 'omni-video', externalTaskId: 'omni-1' }))?.taskId).toBe(task.taskId);
    await sim.callbacks.idle();
    expect(callbacks.received.map((b) => b.status)).toContain('succeeded');
    expect(callbacks.received.find((b) => b.status === 'succeeded')).toMatchObject({ id: task.taskId, external_id: 'omni-1' });
  });

  it('the ledger records the video input and the audio mode (kling-o1, base video, original audio: 1.2 units/s at 1080p)', async () => {
    const c = client();
    const task = await c.createTask({
      ...o1,
      prompt: 'Make @video_1 rainy',
      baseVideo: { url: VID },
      audio: 'original',
      resolution: '1080p',
      duration: 10,
    });
    expect(creates(sim).at(-1)?.body).toEqual({
      contents: [
        { type: 'prompt', text: 'Make @video_1 rainy' },
        { type: 'base_video', url: VID, id: 'video_1' },
      ],
      settings: { resolution: '1080p', duration: 10, audio: 'original' },
    });
    const done = await finish(c, refOf(task));
    expect(done.unitsDeducted).toBe(12);
    expect(await c.getTaskDeduction(task.taskId)).toMatchObject({ units: 12 });
    const ledger = await fetch(`${sim.url}/account/billing/package`, {
      method: 'POST',
      headers: { authorization: 'Bearer sim-api-key', 'content-type': 'application/json' },
      body: JSON.stringify({ start_time: 0, end_time: clock.now() + 1 }),
    });
    const detail = ((await ledger.json()) as { data: { result: { detail: Array<Record<string, unknown>> } } }).data.result.detail;
    expect(detail.find((d) => d.task_id === task.taskId)).toMatchObject({
      refer_video_input: true,
      video_sound: 'original',
      product_function: 'Omni Video',
      deduction_amount: 12,
    });
    expect(sim.tasks().find((t) => t.id === task.taskId)).toMatchObject({ product: 'omni-video', chargedUnits: 12 });
  });

  it('prompt only: the client sends aspect_ratio 16:9, which the simulator requires (NEW §9 item 16 strict reading)', async () => {
    const c = client();
    const task = await c.createTask({ ...o1 });
    expect(creates(sim).at(-1)?.body).toMatchObject({ settings: { aspect_ratio: '16:9', audio: 'off' } });
    expect((await finish(c, refOf(task))).unitsDeducted).toBe(3); // O1 no video input, 720p, 5 s × 0.6
    expect(await rawOmni('kling-o1', { contents: [{ type: 'prompt', text: 'x' }] })).toMatchObject({
      status: 400,
      code: 1201,
      message: expect.stringMatching(/aspect_ratio/),
    });
  });

  it('multi-shot: the client sends multi_shot true with a prompt in shot syntax that adds up; the simulator accepts it', async () => {
    const c = client();
    await c.createTask({ ...omni, prompt: 'shot 1, 2, @image_1 wakes up; shot 2, 4, the cat leaps;', multiShot: true, duration: 6 });
    expect(creates(sim).at(-1)).toMatchObject({ status: 200, body: { settings: { multi_shot: true, duration: 6 } } });
  });

  it('refuses the documented impossible combinations before sending anything, naming the field', async () => {
    const c = client();
    const cases: Array<[object, string]> = [
      [{ ...omni, referImages: Array.from({ length: 8 }, () => ({ url: IMG })) }, 'referImages'],
      [{ ...omni, referImages: Array.from({ length: 5 }, () => ({ url: IMG })), featureVideo: { url: VID } }, 'referImages'],
      [{ ...omni, featureVideo: { url: VID }, baseVideo: { url: VID } }, 'baseVideo'],
      [{ ...omni, image: IMG, baseVideo: { url: VID } }, 'image'],
      [{ ...omni, featureVideo: { url: VID }, audio: 'native' }, 'audio'],
      [{ ...omni, baseVideo: { url: VID }, audio: 'native' }, 'audio'],
      [{ ...o1, resolution: '4k' }, 'resolution'],
      [{ ...o1, image: IMG, duration: 7 }, 'duration'],
      [{ ...o1, image: IMG, imageTail: IMG2, referImages: [{ url: IMG }] }, 'referImages'],
      [{ ...omni, featureVideo: { url: 'https://10.0.0.5/v.mp4' } }, 'featureVideo.url'],
      [{ ...omni, prompt: 'with @image_2' }, 'prompt'],
    ];
    for (const [request, field] of cases) {
      const err = await c.createTask(request).catch((e: unknown) => e);
      expect(err, JSON.stringify(request)).toBeInstanceOf(KlingValidationError);
      expect(
        (err as KlingValidationError).issues.map((i) => i.field),
        JSON.stringify(request),
      ).toContain(field);
    }
    expect(creates(sim)).toHaveLength(0);
  });
});

describe('omni-video: every refused combination, through the client over HTTP', () => {
  it.each(OMNI_REFUSED)('the client refuses %s before sending anything, naming the field', async (_name, request, field, message) => {
    const err = await client()
      .createTask(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KlingValidationError);
    expect((err as KlingValidationError).issues).toContainEqual({ field, message: expect.stringMatching(message) });
    expect(sim.requests).toHaveLength(0);
  });
});

describe('omni-video: the simulator refuses on its own (written from the references)', () => {
  const prompt = { type: 'prompt', text: 'A cat on a roof' };
  const refer = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'refer_image', url: `https://cdn.example.com/${i}.png` }));
  it.each([
    [
      'two reference videos',
      'kling-3.0-omni',
      [prompt, { type: 'feature_video', url: VID }, { type: 'base_video', url: VID }],
      {},
      /more than one reference video/,
    ],
    ['8 references without a video', 'kling-3.0-omni', [prompt, ...refer(8)], { aspect_ratio: '16:9' }, /must not exceed 7 without/],
    ['5 references with a video', 'kling-3.0-omni', [prompt, ...refer(5), { type: 'feature_video', url: VID }], {}, /must not exceed 4 with/],
    [
      'a base video with a first frame',
      'kling-3.0-omni',
      [prompt, { type: 'first_frame', url: IMG }, { type: 'base_video', url: VID }],
      {},
      /base_video does not allow/,
    ],
    [
      'a last frame alone',
      'kling-3.0-omni',
      [prompt, { type: 'last_frame', url: IMG }],
      { aspect_ratio: '16:9' },
      /last_frame requires a first_frame/,
    ],
    [
      'a feature video with native audio',
      'kling-3.0-omni',
      [prompt, { type: 'feature_video', url: VID }],
      { audio: 'native' },
      /"off" with a feature_video/,
    ],
    [
      'a base video with native audio',
      'kling-3.0-omni',
      [prompt, { type: 'base_video', url: VID }],
      { audio: 'native' },
      /native" is not supported with a base_video/,
    ],
    ['a base64 video', 'kling-3.0-omni', [prompt, { type: 'feature_video', url: 'AAAAGGZ0eXBpc29t' }], {}, /feature_video|url/],
    [
      'native audio on O1',
      'kling-o1',
      [prompt, { type: 'first_frame', url: IMG }],
      { audio: 'native' },
      /settings.audio must be one of "original", "off"/,
    ],
    ['4k on O1', 'kling-o1', [prompt, { type: 'first_frame', url: IMG }], { resolution: '4k' }, /settings.resolution/],
    ['O1 first frame only, 7 s', 'kling-o1', [prompt, { type: 'first_frame', url: IMG }], { duration: 7 }, /one of 5, 10/],
    [
      'O1 both frames with a reference image',
      'kling-o1',
      [prompt, { type: 'first_frame', url: IMG }, { type: 'last_frame', url: IMG }, ...refer(1)],
      {},
      /allow no refer_image/,
    ],
    ['multi_shot on O1', 'kling-o1', [prompt, { type: 'first_frame', url: IMG }], { multi_shot: true, duration: 5 }, /multi_shot/],
    ['16 s on 3.0-omni', 'kling-3.0-omni', [prompt, ...refer(1)], { duration: 16 }, /settings.duration/],
    [
      'duplicate ids',
      'kling-3.0-omni',
      [prompt, { type: 'refer_image', url: IMG, id: 'a' }, { type: 'element', element_id: 'e', id: 'a' }],
      {},
      /unique/,
    ],
    ['an element without an id', 'kling-3.0-omni', [prompt, ...refer(1), { type: 'element', element_id: 'e' }], {}, /^contents.*\bid\b/],
    ['an unknown @ reference', 'kling-3.0-omni', [{ type: 'prompt', text: 'Use @image_3' }, ...refer(1)], {}, /@image_3/],
    ['shots not adding up', 'kling-3.0-omni', [{ type: 'prompt', text: 'shot 1, 2, a; shot 2, 2, b;' }, ...refer(1)], { duration: 5 }, /add up/],
    ['a prompt over 3072 characters', 'kling-3.0-omni', [{ type: 'prompt', text: 'x'.repeat(3073) }, ...refer(1)], {}, /3072/],
  ] as Array<[string, string, unknown[], object, RegExp]>)('%s → 400/1201', async (_name, model, contents, settings, message) => {
    // aspect_ratio is given, so each case is refused for its own reason (NEW §9 item 16 has its own test above).
    expect(await rawOmni(model, { contents, settings: { aspect_ratio: '16:9', ...settings } })).toMatchObject({
      status: 400,
      code: 1201,
      message: expect.stringMatching(message),
    });
  });

  it('an unknown omni model is refused (404/1203 or 400/1201 per the unknownNewModel switch); legacy omni needs model_name', async () => {
    expect(await rawOmni('kling-9-omni', { contents: [{ type: 'prompt', text: 'x' }] })).toMatchObject({
      message: expect.stringMatching(/kling-9-omni/),
    });
    const res = await fetch(`${sim.url}/v1/videos/omni-video`, { method: 'POST', headers: { authorization: 'Bearer sim-api-key' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/^model_name is required for omni-video/);
  });
});

describe('omni-video: the simulator in lenient mode (strictCapabilities: false)', () => {
  it('applies the documented effect instead of refusing: a feature video forces audio off, billed without audio', async () => {
    const lenient = await startSimulator({ now: clock.now, strictCapabilities: false, schedule: { submittedMs: 1_000, processingMs: 5_000 } });
    try {
      const res = await fetch(`${lenient.url}/omni-video/kling-3.0-omni`, {
        method: 'POST',
        headers: { authorization: 'Bearer sim-api-key', 'content-type': 'application/json' },
        body: JSON.stringify({
          contents: [
            { type: 'prompt', text: 'x' },
            { type: 'feature_video', url: VID },
          ],
          settings: { audio: 'native' },
        }),
      });
      expect(res.status).toBe(200);
      expect(lenient.tasks()[0]).toMatchObject({ product: 'omni-video', audio: false, units: 4.5 }); // 0.9 × 5 s, video input
    } finally {
      await lenient.close();
    }
  });
});
