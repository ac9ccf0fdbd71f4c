import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createModelCatalog,
  estimateCredits,
  KlingClient,
  KlingValidationError,
  resolveRequest,
  toNewBody,
  type TaskRef,
} from '../../src/kling/index.js';
import { ManualClock, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { finishOnClock } from '../support/finish-task.js';

// Issue 20: motion control (kling-3.0, kling-2.6) — request model, wire body, §7.1 prices on the output duration, and
// the client against the simulator (whose motion validator is written from NEW §1.3/§3.3, not from the client).
const catalog = createModelCatalog();
const resolve = (request: unknown) => resolveRequest(request, { catalog, availableStandards: ['new', 'legacy'], preferredStandard: 'new' });
function issuesOf(request: unknown): Array<{ field: string; message: string }> {
  try {
    resolve(request);
  } catch (err) {
    if (err instanceof KlingValidationError) return err.issues;
    throw err;
  }
  throw new Error('expected a validation error');
}
const IMG = 'https://cdn.example.com/dancer.png';
const VID = 'https://cdn.example.com/moves.mp4';
const mc = { model: 'kling-3.0', kind: 'motion-control', image: IMG, motionVideo: VID, characterOrientation: 'video' };

/** Every refused combination (NEW §1.3/§3.3 [OFFICIAL MC]) and the field its issue names. */
const REFUSED: Array<[string, object, string, RegExp]> = [
  ['no image', { ...mc, image: undefined }, 'image', /required/],
  ['no motion video', { ...mc, motionVideo: undefined }, 'motionVideo', /required/],
  ['no orientation', { ...mc, characterOrientation: undefined }, 'characterOrientation', /required/],
  ['4k', { ...mc, resolution: '4k' }, 'resolution', /720p, 1080p, not 4k/],
  ['native audio', { ...mc, audio: 'native' }, 'audio', /no native audio/],
  ['two elements on 3.0', { ...mc, elements: [{ elementId: 'a' }, { elementId: 'b' }] }, 'elements', /at most 1/],
  ['an element on 2.6', { ...mc, model: 'kling-2.6', elements: [{ elementId: 'a' }] }, 'elements', /no elements/],
  ['an 11 s output with orientation image', { ...mc, characterOrientation: 'image', duration: 11 }, 'duration', /3–10 s/],
  ['a 2 s output', { ...mc, duration: 2 }, 'duration', /3–30 s/],
  ['a base64 motion video', { ...mc, motionVideo: 'AAAAGGZ0eXBpc29t' }, 'motionVideo', /URL only/],
  ['a motion video on an internal host', { ...mc, motionVideo: 'https://192.168.1.4/v.mp4' }, 'motionVideo', /internal address/],
  ['the legacy standard', { ...mc, standard: 'legacy' }, 'standard', /new standard only/],
  ['multiShot', { ...mc, multiShot: false }, 'multiShot', /not available/],
  ['an aspect ratio', { ...mc, aspectRatio: '16:9' }, 'aspectRatio', /from the image/],
  [
    'motion fields on image-to-video',
    { model: 'kling-3.0', kind: 'image-to-video', image: IMG, motionVideo: VID },
    'motionVideo',
    /only available for motion-control/,
  ],
  ['motion on an omni-only model', { ...mc, model: 'kling-3.0-omni' }, 'kind', /does not support motion-control/],
];

describe('motion-control request', () => {
  it('accepts image + video + orientation; assumes the longest output the orientation allows unless told', () => {
    expect(resolve(mc)).toMatchObject({ standard: 'new', resolution: '720p', duration: 30, audio: false, audioMode: 'original' });
    expect(resolve({ ...mc, characterOrientation: 'image' }).duration).toBe(10);
    expect(resolve({ ...mc, duration: 8, audio: 'off', elements: [{ elementId: 'e1' }], prompt: 'A dancer' }).duration).toBe(8);
    expect(resolve({ ...mc, model: 'kling-v2-6', resolution: '1080p' }).model.id).toBe('kling-2.6');
  });

  it.each(REFUSED)('refuses %s, naming the field', (_n, request, field, message) => {
    expect(issuesOf(request)).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it('wire body: contents image + video (+ element), character_orientation and audio sent, no duration', () => {
    expect(
      toNewBody(resolve({ ...mc, prompt: 'A dancer on a stage', elements: [{ elementId: 'e1' }], resolution: '1080p', externalTaskId: 'm-1' })),
    ).toEqual({
      contents: [
        { type: 'prompt', text: 'A dancer on a stage' },
        { type: 'image', url: IMG },
        { type: 'video', url: VID },
        { type: 'element', element_id: 'e1', id: 'element_1' },
      ],
      settings: { resolution: '1080p', character_orientation: 'video', audio: 'original' },
      options: { external_task_id: 'm-1' },
    });
  });

  it.each([
    ['3.0 720p, 10 s assumed', { ...mc, characterOrientation: 'image' }, 9],
    ['3.0 1080p, 5 s expected', { ...mc, resolution: '1080p', duration: 5 }, 6],
    ['2.6 720p, 30 s assumed', { ...mc, model: 'kling-2.6' }, 15],
    ['2.6 1080p, 4 s expected', { ...mc, model: 'kling-2.6', resolution: '1080p', duration: 4 }, 3.2],
  ] as Array<[string, object, number]>)('prices %s from §7.1 "Motion Control" (%s units), stating the duration is assumed', (_n, request, units) => {
    const estimate = estimateCredits(resolve(request));
    expect(estimate).toMatchObject({ units, assumedOutputDuration: true, basis: 'per-second', confidence: 'official' });
  });
});

describe('motion-control: client against the simulator', () => {
  const clock = new ManualClock();
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ now: clock.now, schedule: { submittedMs: 1_000, processingMs: 5_000 } });
  });
  afterAll(async () => sim?.close());
  beforeEach(() => sim.reset());
  const client = () => new KlingClient({ baseUrl: sim.url, credentials: { apiKey: 'sim-api-key' }, now: clock.now });
  const finish = (c: KlingClient, ref: TaskRef) => finishOnClock(c, ref, clock);
  const raw = async (model: string, body: unknown) => {
    const res = await fetch(`${sim.url}/motion-control/${model}`, {
      method: 'POST',
      headers: { authorization: 'Bearer sim-api-key', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, ...((await res.json()) as { code: number; message: string }) };
  };

  it('creates on /motion-control/kling-3.0; the estimate assumed 30 s, Kling bills the rounded output (simulated 5 s)', async () => {
    const c = client();
    const task = await c.createTask({ ...mc, resolution: '1080p', externalTaskId: 'motion-1' });
    expect(sim.requests.filter((r) => r.routeKind === 'create').at(-1)).toMatchObject({
      path: '/motion-control/kling-3.0',
      status: 200,
      body: {
        contents: [{ type: 'image' }, { type: 'video' }],
        settings: { character_orientation: 'video', resolution: '1080p', audio: 'original' },
      },
    });
    const done = await finish(c, { standard: 'new', kind: 'motion-control', taskId: task.taskId });
    expect(done.status).toBe('succeeded');
    expect(estimateCredits(c.resolve({ ...mc, resolution: '1080p' })).units).toBe(36);
    expect(done.unitsDeducted).toBe(6); // 1.2 × round(5.041)
    expect(done.videos[0]?.durationSeconds).toBeCloseTo(5.041);
  });

  it.each(REFUSED)('the client refuses %s before sending anything, naming the field', async (_n, request, field, message) => {
    const err = await client()
      .createTask(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KlingValidationError);
    expect((err as KlingValidationError).issues).toContainEqual({ field, message: expect.stringMatching(message) });
    expect(sim.requests).toHaveLength(0);
  });

  it('kling-2.6, orientation image, audio off, a prompt: the wire body as sent, billed 0.5 units/s on the rounded output', async () => {
    const c = client();
    const task = await c.createTask({
      ...mc,
      model: 'kling-v2-6',
      characterOrientation: 'image',
      audio: 'off',
      prompt: 'A dancer spins',
      externalTaskId: 'motion-26',
    });
    expect(sim.requests.filter((r) => r.routeKind === 'create').at(-1)).toMatchObject({
      path: '/motion-control/kling-2.6',
      status: 200,
      body: {
        contents: [
          { type: 'prompt', text: 'A dancer spins' },
          { type: 'image', url: IMG },
          { type: 'video', url: VID },
        ],
        settings: { resolution: '720p', character_orientation: 'image', audio: 'off' },
        options: { external_task_id: 'motion-26' },
      },
    });
    const done = await finish(c, { standard: 'new', kind: 'motion-control', externalTaskId: 'motion-26' });
    expect(done).toMatchObject({ status: 'succeeded', kind: 'motion-control', taskId: task.taskId });
    expect(done.unitsDeducted).toBe(2.5); // 0.5 × round(5.041)
  });

  it.each([
    [
      'no character_orientation',
      'kling-3.0',
      {
        contents: [
          { type: 'image', url: IMG },
          { type: 'video', url: VID },
        ],
        settings: {},
      },
      /character_orientation/,
    ],
    [
      'no settings at all',
      'kling-3.0',
      {
        contents: [
          { type: 'image', url: IMG },
          { type: 'video', url: VID },
        ],
      },
      /character_orientation/,
    ],
    ['no video', 'kling-3.0', { contents: [{ type: 'image', url: IMG }], settings: { character_orientation: 'image' } }, /"video"/],
    ['no image', 'kling-3.0', { contents: [{ type: 'video', url: VID }], settings: { character_orientation: 'image' } }, /"image"/],
    [
      '4k',
      'kling-3.0',
      {
        contents: [
          { type: 'image', url: IMG },
          { type: 'video', url: VID },
        ],
        settings: { character_orientation: 'image', resolution: '4k' },
      },
      /resolution/,
    ],
    [
      'native audio',
      'kling-3.0',
      {
        contents: [
          { type: 'image', url: IMG },
          { type: 'video', url: VID },
        ],
        settings: { character_orientation: 'image', audio: 'native' },
      },
      /audio/,
    ],
    [
      'an element on 2.6',
      'kling-2.6',
      {
        contents: [
          { type: 'image', url: IMG },
          { type: 'video', url: VID },
          { type: 'element', element_id: 'e', id: 'e' },
        ],
        settings: { character_orientation: 'image' },
      },
      /element/,
    ],
    [
      'a duration field',
      'kling-3.0',
      {
        contents: [
          { type: 'image', url: IMG },
          { type: 'video', url: VID },
        ],
        settings: { character_orientation: 'image', duration: 5 },
      },
      /duration/,
    ],
    [
      'a base64 video',
      'kling-3.0',
      {
        contents: [
          { type: 'image', url: IMG },
          { type: 'video', url: 'AAAA' },
        ],
        settings: { character_orientation: 'image' },
      },
      /url/,
    ],
  ] as Array<[string, string, object, RegExp]>)('the simulator refuses %s → 400/1201', async (_n, model, body, message) => {
    expect(await raw(model, body)).toMatchObject({ status: 400, code: 1201, message: expect.stringMatching(message) });
  });
});
