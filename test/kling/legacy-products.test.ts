import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { workerConfigFromEnv } from '../../src/config.js';
import {
  estimateCredits,
  KlingClient,
  KlingCredentialsError,
  KlingValidationError,
  type KlingClientOptions,
  type TaskRef,
} from '../../src/kling/index.js';
import { ManualClock, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { creates } from '../support/creates.js';
import { startCallbackCollector, type CallbackCollector } from '../support/callback-collector.js';
import { finishOnClock } from '../support/finish-task.js';

// The KLING_LEGACY_PRODUCTS switch: omni-video and motion-control on the legacy standard (`/v1/videos/omni-video`,
// `/v1/videos/motion-control`), whose bodies rest on assumptions (docs/products.md "Which standard"). Through the
// client against the simulator over HTTP: with the switch on, each product is accepted with the exact wire body and
// runs to the end (cost: NEW §7.1); refused combinations name their field; with it off, nothing changes.
const IMG = 'https://cdn.example.com/fox.png';
const IMG2 = 'https://cdn.example.com/hen.png';
const VID = 'https://cdn.example.com/moves.mp4';
const clock = new ManualClock();
let sim: Simulator;
let callbacks: CallbackCollector;

const client = (options: Partial<KlingClientOptions> = {}) =>
  new KlingClient({
    baseUrl: sim.url,
    credentials: { apiKey: 'sim-api-key' },
    legacyProducts: ['omni-video', 'motion-control'],
    preferredStandard: 'legacy',
    now: clock.now,
    ...options,
  });

beforeAll(async () => {
  sim = await startSimulator({ now: clock.now, schedule: { submittedMs: 1_000, processingMs: 3_000 } });
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

/** A raw legacy create (API key), bypassing the client's validation: what the simulator answers on its own. */
async function rawLegacy(family: string, body: unknown): Promise<{ status: number; code: number; message: string }> {
  const res = await fetch(`${sim.url}/v1/videos/${family}`, {
    method: 'POST',
    headers: { authorization: 'Bearer sim-api-key', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { code: number; message: string };
  return { status: res.status, code: json.code, message: json.message };
}

const finish = (c: KlingClient, ref: TaskRef) => finishOnClock(c, ref, clock);

function issuesOf(fn: () => unknown): Array<{ field: string; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof KlingValidationError) return err.issues;
    throw err;
  }
  return [];
}

describe('omni-video on the legacy standard (switch on)', () => {
  it('kling-v3-omni: reference images first in image_list, @image_n as <<<image_n>>>, mode from resolution, duration a string', async () => {
    const c = client();
    const task = await c.createTask({
      model: 'kling-3.0-omni',
      kind: 'omni-video',
      prompt: 'The fox from @image_1 meets the hen from @image_2',
      referImages: [{ url: IMG }, { url: IMG2 }],
      image: IMG,
      resolution: '1080p',
      duration: 6,
      audio: 'native',
      externalTaskId: 'legacy-omni-1',
    });
    expect(task).toMatchObject({ standard: 'legacy', kind: 'omni-video' });
    const [create] = creates(sim);
    expect(create?.path).toBe('/v1/videos/omni-video');
    expect(create?.body).toEqual({
      model_name: 'kling-v3-omni',
      prompt: 'The fox from <<<image_1>>> meets the hen from <<<image_2>>>',
      mode: 'pro',
      duration: '6',
      sound: 'on',
      image_list: [{ image_url: IMG }, { image_url: IMG2 }, { image_url: IMG, type: 'first_frame' }],
      external_task_id: 'legacy-omni-1',
    });
    const done = await finish(c, { standard: 'legacy', kind: 'omni-video', taskId: task.taskId });
    expect(done).toMatchObject({ status: 'succeeded', standard: 'legacy', kind: 'omni-video' });
    // §7.1 Kling 3.0 Omni, no video input, with native audio, 1080p: 1.0 units/s × 6 s.
    expect(done.unitsDeducted).toBeCloseTo(6);
    // The legacy family's lookup answers it; GET /v1/videos/text2video/{id} does not.
    expect(await c.getTask({ standard: 'legacy', kind: 'text-to-video', taskId: task.taskId })).toBeUndefined();
  });

  it('kling-video-o1 with a base video: video_list with refer_type and keep_original_sound, no sound field (O1 has no native audio)', async () => {
    const c = client();
    const task = await c.createTask({
      model: 'kling-o1',
      kind: 'omni-video',
      prompt: 'Make @video_1 a rainy night',
      baseVideo: { url: VID },
      audio: 'original',
      duration: 5,
    });
    expect(creates(sim)[0]?.body).toEqual({
      model_name: 'kling-video-o1',
      prompt: 'Make <<<video_1>>> a rainy night',
      mode: 'std',
      duration: '5',
      video_list: [{ video_url: VID, refer_type: 'base', keep_original_sound: 'yes' }],
    });
    const done = await finish(c, { standard: 'legacy', kind: 'omni-video', taskId: task.taskId });
    // §7.1 Kling O1 with video input, 720p: 0.9 units/s × 5 s.
    expect(done.unitsDeducted).toBeCloseTo(4.5);
  });

  it('multi-shot on kling-v3-omni: multi_prompt with customize shots, no prompt; elements in element_list', () => {
    const wire = client().wireRequest({
      model: 'kling-v3-omni',
      kind: 'omni-video',
      multiPrompt: [
        { prompt: 'A fox like @element_1 trots', duration: 2 },
        { prompt: 'It leaps', duration: 3 },
      ],
      elements: [{ elementId: '8812' }],
      aspectRatio: '9:16',
    });
    expect(wire).toMatchObject({ standard: 'legacy', path: '/v1/videos/omni-video' });
    expect(wire.body).toEqual({
      model_name: 'kling-v3-omni',
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: [
        { index: 1, prompt: 'A fox like <<<element_1>>> trots', duration: '2' },
        { index: 2, prompt: 'It leaps', duration: '3' },
      ],
      mode: 'std',
      aspect_ratio: '9:16',
      duration: '5',
      sound: 'off',
      element_list: [{ element_id: '8812' }],
    });
  });

  it('refused before sending, each naming its field: content ids (the legacy lists carry none), the documented omni limits', () => {
    const c = client();
    const omni = { model: 'kling-3.0-omni', kind: 'omni-video', standard: 'legacy' } as const;
    expect(issuesOf(() => c.resolve({ ...omni, prompt: 'A fox @fox', referImages: [{ url: IMG, id: 'fox' }] }))).toEqual([
      { field: 'referImages.0.id', message: expect.stringMatching(/^the legacy body carries no content ids/) },
    ]);
    expect(issuesOf(() => c.resolve({ ...omni, prompt: 'x', featureVideo: { url: VID, id: 'clip' } })).map((i) => i.field)).toEqual([
      'featureVideo.id',
    ]);
    expect(issuesOf(() => c.resolve({ ...omni, prompt: 'x', elements: [{ elementId: '1', id: 'hero' }] })).map((i) => i.field)).toEqual([
      'elements.0.id',
    ]);
    // The same limits as on the new standard.
    expect(issuesOf(() => c.resolve({ ...omni, prompt: 'x', featureVideo: { url: VID }, audio: 'native' })).map((i) => i.field)).toEqual(['audio']);
    expect(issuesOf(() => c.resolve({ ...omni, model: 'kling-o1', prompt: 'x', resolution: '4k' })).map((i) => i.field)).toEqual(['resolution']);
    expect(issuesOf(() => c.resolve({ ...omni, prompt: 'x'.repeat(2501) })).map((i) => i.field)).toEqual(['prompt']);
    // `multiShot` is a new-standard setting (legacy: multiPrompt).
    expect(issuesOf(() => c.resolve({ ...omni, prompt: 'x', multiShot: true })).map((i) => i.field)).toEqual(['multiShot']);
    expect(creates(sim)).toHaveLength(0);
  });
});

describe('motion control on the legacy standard (switch on)', () => {
  it.each([
    ['kling-3.0', 'kling-v3', '1080p', 'pro', 1.2],
    ['kling-2.6', 'kling-v2-6', '720p', 'std', 0.5],
  ] as const)('%s: REF §3.4 fields plus model_name %s; billed per output second', async (model, modelName, resolution, mode, rate) => {
    const c = client();
    const task = await c.createTask({
      model,
      kind: 'motion-control',
      prompt: 'She dances',
      image: IMG,
      motionVideo: VID,
      characterOrientation: 'image',
      resolution,
      audio: 'off',
      callbackUrl: 'https://hooks.example.com/kling',
    });
    expect(task).toMatchObject({ standard: 'legacy', kind: 'motion-control' });
    const [create] = creates(sim);
    expect(create?.path).toBe('/v1/videos/motion-control');
    expect(create?.body).toEqual({
      model_name: modelName,
      prompt: 'She dances',
      image_url: IMG,
      video_url: VID,
      character_orientation: 'image',
      mode,
      keep_original_sound: 'no',
      callback_url: 'https://hooks.example.com/kling',
    });
    const done = await finish(c, { standard: 'legacy', kind: 'motion-control', taskId: task.taskId });
    expect(done.status).toBe('succeeded');
    // NEW §7.1 motion-control row × the output's rounded seconds (the simulator renders 5 s).
    expect(done.unitsDeducted).toBeCloseTo(rate * 5);
    expect(sim.task(task.taskId)).toMatchObject({ chargedUnits: expect.closeTo(rate * 5, 5) });
  });

  it('the estimate says what it assumes: the output duration and, on the legacy standard, that model_name chose the model', () => {
    const motion = { model: 'kling-2.6', kind: 'motion-control', image: IMG, motionVideo: VID, characterOrientation: 'image', duration: 5 } as const;
    expect(estimateCredits(client().resolve(motion)).description).toBe(
      'kling-2.6 motion-control at 720p, audio original: 0.5 units/s × 5 s of output assumed (the duration you gave) = 2.5 units = 25 credits. ' +
        'Kling bills the output\'s seconds, rounded; the ledger records its actual deduction; on the legacy standard, model_name "kling-v2-6" ' +
        'is assumed to choose the model (the documented body names none)',
    );
    // On the new standard the model is in the path: nothing more is assumed.
    expect(estimateCredits(client({ legacyProducts: [] }).resolve(motion)).description).toMatch(/the ledger records its actual deduction$/);
  });

  it('keep_original_sound defaults to "yes"; elements are refused naming `elements` (the legacy body has none)', () => {
    const c = client();
    const motion = { model: 'kling-3.0', kind: 'motion-control', image: IMG, motionVideo: VID, characterOrientation: 'video' } as const;
    expect(c.wireRequest(motion).body).toMatchObject({ keep_original_sound: 'yes', mode: 'std' });
    expect(issuesOf(() => c.resolve({ ...motion, elements: [{ elementId: '1' }] }))).toEqual([
      { field: 'elements', message: expect.stringMatching(/legacy motion-control body has no element field/) },
    ]);
    expect(issuesOf(() => c.resolve({ ...motion, resolution: '4k' })).map((i) => i.field)).toEqual(['resolution']);
  });

  it('with access/secret keys only, the switch lets both products go on the legacy standard (JWT)', async () => {
    const c = client({ credentials: { accessKey: 'sim-ak', secretKey: 'sim-sk' }, preferredStandard: 'new' });
    const task = await c.createTask({ model: 'kling-2.6', kind: 'motion-control', image: IMG, motionVideo: VID, characterOrientation: 'video' });
    expect(task.standard).toBe('legacy');
    const omni = await c.createTask({ model: 'kling-o1', kind: 'omni-video', prompt: 'A paper boat', aspectRatio: '1:1' });
    expect(omni.standard).toBe('legacy');
    expect(creates(sim).map((r) => r.path)).toEqual(['/v1/videos/motion-control', '/v1/videos/omni-video']);
  });
});

describe("the simulator's legacy omni-video and motion-control routes (raw HTTP)", () => {
  it('callbacks carry the legacy body (task_id, task_status "succeed") for both products', async () => {
    const c = client();
    const omni = await c.createTask({
      model: 'kling-o1',
      kind: 'omni-video',
      prompt: 'A paper boat',
      aspectRatio: '1:1',
      callbackUrl: callbacks.url,
    });
    const motion = await c.createTask({
      model: 'kling-3.0',
      kind: 'motion-control',
      image: IMG,
      motionVideo: VID,
      characterOrientation: 'video',
      externalTaskId: 'legacy-motion-cb',
      callbackUrl: callbacks.url,
    });
    await finish(c, { standard: 'legacy', kind: 'omni-video', taskId: omni.taskId });
    await finish(c, { standard: 'legacy', kind: 'motion-control', taskId: motion.taskId });
    await sim.callbacks.idle();
    expect(callbacks.received.find((b) => b.task_id === omni.taskId && b.task_status === 'succeed')).toBeDefined();
    expect(callbacks.received.find((b) => b.task_id === motion.taskId && b.task_status === 'succeed')).toMatchObject({
      task_info: { external_task_id: 'legacy-motion-cb' },
      final_unit_deduction: '4.5', // §7.1 Kling 3.0 motion control 720p, 0.9 × 5 s of output
    });
    // Looked up by external id in its family, and listed there.
    expect((await c.getTask({ standard: 'legacy', kind: 'motion-control', externalTaskId: 'legacy-motion-cb' }))?.taskId).toBe(motion.taskId);
    expect((await c.listLegacyTasks('omni-video')).map((t) => t.taskId)).toEqual([omni.taskId]);
  });

  it.each([
    [
      'omni: duration as a number',
      'omni-video',
      { model_name: 'kling-v3-omni', prompt: 'x', duration: 5, aspect_ratio: '16:9' },
      /^duration must be a string such as "5"/,
    ],
    [
      'omni: mode 4k on O1',
      'omni-video',
      { model_name: 'kling-video-o1', prompt: 'x', mode: '4k', aspect_ratio: '16:9' },
      /^mode must be one of "std", "pro" for kling-video-o1$/,
    ],
    [
      'omni: 8 reference images',
      'omni-video',
      { model_name: 'kling-v3-omni', prompt: 'x', image_list: Array.from({ length: 8 }, () => ({ image_url: IMG })) },
      /^image_list\/video_list\/element_list: image_list reference image and element count must not exceed 7 without a reference video \(got 8\)$/,
    ],
    [
      'omni: a feature video keeping its sound',
      'omni-video',
      { model_name: 'kling-v3-omni', prompt: 'x', video_list: [{ video_url: VID, refer_type: 'feature', keep_original_sound: 'yes' }] },
      /^sound\/keep_original_sound must be "off" with a video_list refer_type "feature"$/,
    ],
    [
      'omni: shots not adding up to duration',
      'omni-video',
      {
        model_name: 'kling-v3-omni',
        multi_shot: true,
        shot_type: 'customize',
        duration: '5',
        aspect_ratio: '16:9',
        multi_prompt: [
          { index: 1, prompt: 'a', duration: '2' },
          { index: 2, prompt: 'b', duration: '2' },
        ],
      },
      /^prompt: shot durations must add up to duration \(4 ≠ 5\)$/,
    ],
    [
      'omni: a prompt referring to a missing image',
      'omni-video',
      { model_name: 'kling-v3-omni', prompt: 'like <<<image_2>>>', image_list: [{ image_url: IMG }], aspect_ratio: '16:9' },
      /^prompt refers to @image_2/,
    ],
    ['omni: no model_name', 'omni-video', { prompt: 'x' }, /^model_name is required for omni-video: one of kling-v3-omni, kling-video-o1$/],
    ['motion: no character_orientation', 'motion-control', { image_url: IMG, video_url: VID }, /^character_orientation is required/],
    [
      'motion: mode 4k',
      'motion-control',
      { image_url: IMG, video_url: VID, character_orientation: 'video', mode: '4k' },
      /^mode must be "std" or "pro"$/,
    ],
    [
      'motion: a model without motion control',
      'motion-control',
      { model_name: 'kling-v2-5-turbo', image_url: IMG, video_url: VID, character_orientation: 'video' },
      /^model_name must be one of kling-v3, kling-v2-6/,
    ],
    [
      'motion: a base64 video',
      'motion-control',
      { image_url: IMG, video_url: 'AAAA', character_orientation: 'video' },
      /^video_url must be an absolute http\(s\) URL$/,
    ],
    ['motion: the new-standard body', 'motion-control', { contents: [], settings: {} }, /^Unknown parameters?: 'contents'/],
  ] as Array<[string, string, object, RegExp]>)('%s → 400/1201 naming the legacy field', async (_name, family, body, message) => {
    expect(await rawLegacy(family, body)).toMatchObject({ status: 400, code: 1201, message: expect.stringMatching(message) });
  });

  it('a motion-control body without model_name is accepted as kling-v2-6 (assumed) and priced so', async () => {
    const created = await rawLegacy('motion-control', { image_url: IMG, video_url: VID, character_orientation: 'image', mode: 'pro' });
    expect(created).toMatchObject({ status: 200, code: 0 });
    const [task] = sim.requests.filter((r) => r.routeKind === 'create');
    const id = task!.createdTaskId!;
    sim.completeTask(id);
    // §7.1 Kling 2.6 motion control 1080p: 0.8 units/s × 5 s of output.
    expect(sim.task(id)?.chargedUnits).toBeCloseTo(4);
  });
});

describe('the switch off (the default)', () => {
  it('standard "legacy" is refused naming `standard` and the switch; the preference alone keeps the new standard', () => {
    const c = client({ legacyProducts: [] });
    const motion = { model: 'kling-3.0', kind: 'motion-control', image: IMG, motionVideo: VID, characterOrientation: 'video' };
    expect(issuesOf(() => c.resolve({ ...motion, standard: 'legacy' }))).toEqual([
      {
        field: 'standard',
        message: expect.stringMatching(
          /^motion-control is sent on the new standard only \(.*\): drop `standard` or set it to "new", or opt in to the legacy body with KLING_LEGACY_PRODUCTS=motion-control \(docs\/products\.md\)$/,
        ),
      },
    ]);
    expect(issuesOf(() => c.resolve({ model: 'kling-v3-omni', kind: 'omni-video', prompt: 'x', standard: 'legacy' }))).toEqual([
      { field: 'standard', message: expect.stringContaining('KLING_LEGACY_PRODUCTS=omni-video') },
    ]);
    expect(c.resolve(motion).standard).toBe('new');
    // Only one product opted in: the other stays new-only.
    const half = client({ legacyProducts: ['omni-video'] });
    expect(half.resolve({ model: 'kling-o1', kind: 'omni-video', prompt: 'x' }).standard).toBe('legacy');
    expect(issuesOf(() => half.resolve({ ...motion, standard: 'legacy' })).map((i) => i.field)).toEqual(['standard']);
  });

  it('access/secret keys only: the credentials error names the switch; nothing is sent', async () => {
    const c = client({ legacyProducts: [], credentials: { accessKey: 'sim-ak', secretKey: 'sim-sk' } });
    const error = await c.createTask({ model: 'kling-o1', kind: 'omni-video', prompt: 'x' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KlingCredentialsError);
    expect((error as Error).message).toMatch(
      /^standard: omni-video .*KLING_LEGACY_PRODUCTS=omni-video opts in to the legacy body.*configure KLING_API_KEY$/,
    );
    expect(sim.requests).toHaveLength(0);
  });
});

describe('KLING_LEGACY_PRODUCTS', () => {
  const base = { KLING_API_KEY: 'k', LOCAL_STORAGE_DIR: '/tmp/kt-legacy-products' };
  it('defaults to none; takes a comma-separated list; refuses an unknown entry naming the variable', () => {
    expect(workerConfigFromEnv(base).legacyProducts).toEqual([]);
    expect(workerConfigFromEnv({ ...base, KLING_LEGACY_PRODUCTS: ' omni-video , motion-control,omni-video' }).legacyProducts).toEqual([
      'omni-video',
      'motion-control',
    ]);
    expect(() => workerConfigFromEnv({ ...base, KLING_LEGACY_PRODUCTS: 'omni-video,text-to-video' })).toThrow(/KLING_LEGACY_PRODUCTS/);
  });
});
