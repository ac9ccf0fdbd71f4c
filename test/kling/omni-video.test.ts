import { describe, expect, it } from 'vitest';
import {
  createModelCatalog,
  createPricingTable,
  estimateCredits,
  KlingValidationError,
  multiShotPromptProblem,
  PriceNotFoundError,
  resolveRequest,
  toNewBody,
  type ApiStandard,
} from '../../src/kling/index.js';
import { newCreatePath } from '../../src/kling/wire-new.js';
import { OMNI_REFUSED } from './omni-cases.js';

// Issue 20: omni-video (kling-3.0-omni, kling-o1) — request model, catalog, wire bodies and §7.1 prices.
const catalog = createModelCatalog();
const resolve = (request: unknown, availableStandards: ApiStandard[] = ['new', 'legacy']) =>
  resolveRequest(request, { catalog, availableStandards, preferredStandard: 'new' });

function issuesOf(request: unknown): Array<{ field: string; message: string }> {
  try {
    resolve(request);
  } catch (err) {
    if (err instanceof KlingValidationError) return err.issues;
    throw err;
  }
  throw new Error('expected a validation error');
}

const IMG = 'https://cdn.example.com/a.png';
const IMG2 = 'https://cdn.example.com/b.png';
const VID = 'https://cdn.example.com/ref.mp4';
const omni = { model: 'kling-3.0-omni', kind: 'omni-video', prompt: 'The cat from @image_1 walks across a rooftop at dusk' };
const o1 = { model: 'kling-o1', kind: 'omni-video', prompt: 'A paper boat drifts down a rain gutter' };
const images = (n: number) => Array.from({ length: n }, (_, i) => ({ url: `https://cdn.example.com/r${i}.png` }));
const elements = (n: number, type?: 'multi-image' | 'video-character') =>
  Array.from({ length: n }, (_, i) => ({ elementId: `el-${i}`, ...(type ? { type } : {}) }));

describe('omni-video catalog rows', () => {
  it('kling-3.0-omni and kling-o1 exist for omni-video only, on the new standard; the legacy names are aliases', () => {
    const m3 = catalog.find('kling-v3-omni')!;
    expect(m3.id).toBe('kling-3.0-omni');
    expect(m3.kinds).toEqual(['omni-video']);
    expect(m3.standards.new?.pathId).toBe('kling-3.0-omni');
    expect(m3.resolutions).toEqual(['720p', '1080p', '4k']);
    expect(m3.durations).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const mo1 = catalog.find('kling-video-o1')!;
    expect(mo1.id).toBe('kling-o1');
    expect(mo1.resolutions).toEqual(['720p', '1080p']);
    expect(mo1.durations).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(resolve({ ...omni, referImages: [{ url: IMG }] }).standard).toBe('new');
    expect(newCreatePath('omni-video', 'kling-3.0-omni')).toBe('/omni-video/kling-3.0-omni');
  });

  it('refuses omni models for other kinds, and omni-only fields on other kinds, naming the field', () => {
    expect(issuesOf({ ...omni, kind: 'text-to-video' })).toContainEqual({ field: 'kind', message: expect.stringMatching(/omni-video/) });
    const t2v = { model: 'kling-3.0', kind: 'text-to-video', prompt: 'A fox' };
    expect(issuesOf({ ...t2v, referImages: [{ url: IMG }] }).map((i) => i.field)).toContain('referImages');
    expect(issuesOf({ ...t2v, featureVideo: { url: VID } }).map((i) => i.field)).toContain('featureVideo');
    expect(issuesOf({ ...t2v, baseVideo: { url: VID } }).map((i) => i.field)).toContain('baseVideo');
    expect(issuesOf({ ...t2v, audio: 'original' }).map((i) => i.field)).toContain('audio');
  });

  it('refuses the legacy standard for omni (its body is undocumented); with only access/secret keys, asks for an API key', () => {
    expect(issuesOf({ ...omni, referImages: [{ url: IMG }], standard: 'legacy' }).map((i) => i.field)).toContain('standard');
    expect(() => resolve({ ...omni, referImages: [{ url: IMG }] }, ['legacy'])).toThrow(/API key/);
  });
});

describe('omni-video request validation', () => {
  it('accepts the documented combinations', () => {
    expect(resolve({ ...omni, referImages: [{ url: IMG }] }).duration).toBe(5);
    expect(resolve({ ...omni, prompt: 'Only prompt' }).resolution).toBe('720p');
    expect(resolve({ ...omni, image: IMG, imageTail: IMG2, referImages: [{ url: IMG }], resolution: '4k', duration: 15 }).resolution).toBe('4k');
    expect(resolve({ ...omni, referImages: images(7) }).request.referImages).toHaveLength(7);
    expect(resolve({ ...omni, referImages: images(3), elements: elements(4) }).request.elements).toHaveLength(4);
    expect(resolve({ ...omni, referImages: images(4), featureVideo: { url: VID }, audio: 'off' }).audio).toBe(false);
    expect(resolve({ ...omni, prompt: 'Make it snow in @video_1', baseVideo: { url: VID }, audio: 'original' }).audioMode).toBe('original');
    expect(resolve({ ...omni, referImages: [{ url: IMG }], audio: 'native' })).toMatchObject({ audio: true, audioMode: 'native' });
    expect(resolve({ ...omni, referImages: [{ url: IMG }], audio: true }).audioMode).toBe('native');
    // Video-character elements do not count against the reference limit.
    expect(resolve({ ...omni, referImages: images(7), elements: elements(2, 'video-character') }).request.elements).toHaveLength(2);
    // O1: a first frame alone gives 5 or 10 s; with other references, 3–10.
    expect(resolve({ ...o1, image: IMG, duration: 10 }).duration).toBe(10);
    expect(resolve({ ...o1, image: IMG, referImages: [{ url: IMG2 }], duration: 7 }).duration).toBe(7);
    expect(resolve({ ...o1, image: IMG, imageTail: IMG2, duration: 3 }).duration).toBe(3);
  });

  it.each(OMNI_REFUSED)('refuses %s, naming the field', (_name, request, field, message) => {
    const issues = issuesOf(request);
    expect(issues, JSON.stringify(issues)).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it('allows private video hosts only under the local-testing media URL policy', () => {
    const request = { ...omni, prompt: 'Restyle @video_1', featureVideo: { url: 'http://127.0.0.1:8787/cdn/v.mp4' } };
    expect(() => resolve(request)).toThrow(KlingValidationError);
    const ok = resolveRequest(request, {
      catalog,
      availableStandards: ['new'],
      preferredStandard: 'new',
      mediaUrlPolicy: { allowHttp: true, allowPrivateAddresses: true },
    });
    expect(ok.request.featureVideo?.url).toBe('http://127.0.0.1:8787/cdn/v.mp4');
  });

  it('multi-shot prompt syntax: 1–6 shots, numbered in order, each ≥ 1 s, ≤ 512 characters, summing to the duration', () => {
    expect(multiShotPromptProblem('shot 1, 2, a fox runs; shot 2, 3, it jumps into snow;', 5)).toBeUndefined();
    expect(multiShotPromptProblem('shot 1, 5, one long take', 5)).toBeUndefined();
    expect(multiShotPromptProblem(Array.from({ length: 7 }, (_, i) => `shot ${i + 1}, 1, x`).join('; '), 7)).toMatch(/at most 6/);
    expect(multiShotPromptProblem('shot 1, 0, a; shot 2, 5, b;', 5)).toMatch(/at least 1 s/);
    expect(multiShotPromptProblem('shot 2, 5, a;', 5)).toMatch(/numbered 2/);
    expect(multiShotPromptProblem(`shot 1, 5, ${'w'.repeat(513)};`, 5)).toMatch(/513 characters; at most 512/);
    expect(multiShotPromptProblem('shot 1, 5, ;', 5)).toMatch(/no description/);
    expect(
      resolve({ ...omni, multiShot: true, duration: 6, prompt: 'shot 1, 2, a fox runs; shot 2, 4, @image_1 watches;', referImages: [{ url: IMG }] })
        .request.multiShot,
    ).toBe(true);
  });

  it('the aspect-ratio switch: require refuses a request with no frame and no video; send-default does not', () => {
    const strict = createModelCatalog([{ ...catalog.find('kling-o1')!, omni: { ...catalog.find('kling-o1')!.omni!, aspectRatio: 'require' } }]);
    const opts = { catalog: strict, availableStandards: ['new'] as ApiStandard[], preferredStandard: 'new' as const };
    expect(() => resolveRequest(o1, opts)).toThrow(/aspectRatio: required for kling-o1/);
    expect(resolveRequest({ ...o1, aspectRatio: '9:16' }, opts).request.aspectRatio).toBe('9:16');
    expect(resolveRequest({ ...o1, image: IMG, duration: 5 }, opts).request.image).toBe(IMG);
  });
});

describe('omni-video wire bodies (new standard, OVG/O1)', () => {
  it('contents in order with default ids, explicit audio and multi_shot, 16:9 sent where the note calls it required', () => {
    const body = toNewBody(
      resolve({
        ...omni,
        prompt: '@element_1 holds the cup from @image_1 as in @image_2',
        image: IMG,
        referImages: [{ url: IMG }, { url: IMG2, id: 'image_2' }],
        elements: [{ elementId: '8675309' }],
        resolution: '4k',
        duration: 8,
        audio: 'native',
        externalTaskId: 'ext-1',
        callbackUrl: 'https://hooks.example.com/kling',
      }),
    );
    expect(body).toEqual({
      contents: [
        { type: 'prompt', text: '@element_1 holds the cup from @image_1 as in @image_2' },
        { type: 'first_frame', url: IMG },
        { type: 'refer_image', url: IMG, id: 'image_1' },
        { type: 'refer_image', url: IMG2, id: 'image_2' },
        { type: 'element', element_id: '8675309', id: 'element_1' },
      ],
      settings: { resolution: '4k', duration: 8, audio: 'native', multi_shot: false },
      options: { callback_url: 'https://hooks.example.com/kling', external_task_id: 'ext-1' },
    });
  });

  it('prompt only: aspect_ratio 16:9 sent explicitly, audio off, multi_shot false', () => {
    expect(toNewBody(resolve({ ...omni, prompt: 'Only prompt' }))).toEqual({
      contents: [{ type: 'prompt', text: 'Only prompt' }],
      settings: { resolution: '720p', aspect_ratio: '16:9', duration: 5, audio: 'off', multi_shot: false },
    });
    expect(toNewBody(resolve({ ...omni, prompt: 'Only prompt', aspectRatio: '1:1' })).settings.aspect_ratio).toBe('1:1');
  });

  it('feature and base videos, URL-only, with their ids; kling-o1 sends no multi_shot', () => {
    expect(toNewBody(resolve({ ...omni, prompt: 'Match the motion of @clip', featureVideo: { url: VID, id: 'clip' } })).contents).toEqual([
      { type: 'prompt', text: 'Match the motion of @clip' },
      { type: 'feature_video', url: VID, id: 'clip' },
    ]);
    const edit = toNewBody(
      resolve({ ...o1, prompt: 'Make @video_1 rainy', baseVideo: { url: VID }, audio: 'original', resolution: '1080p', duration: 10 }),
    );
    expect(edit).toEqual({
      contents: [
        { type: 'prompt', text: 'Make @video_1 rainy' },
        { type: 'base_video', url: VID, id: 'video_1' },
      ],
      settings: { resolution: '1080p', duration: 10, audio: 'original' },
    });
  });

  it('multi_shot true is sent when asked for', () => {
    const body = toNewBody(resolve({ ...omni, prompt: 'shot 1, 2, a fox runs; shot 2, 3, it jumps;', multiShot: true }));
    expect(body.settings.multi_shot).toBe(true);
  });
});

describe('omni-video prices (§7.1)', () => {
  const cost = (r: object) => estimateCredits(resolve(r));
  it.each([
    // [request, units]
    ['3.0 Omni, no video, silent, 720p 5 s', { ...omni, prompt: 'x' }, 3.0],
    ['3.0 Omni, no video, silent, 1080p 10 s', { ...omni, prompt: 'x', resolution: '1080p', duration: 10 }, 8.0],
    ['3.0 Omni, no video, silent, 4k 5 s', { ...omni, prompt: 'x', resolution: '4k' }, 15.0],
    ['3.0 Omni, no video, native audio, 720p 5 s', { ...omni, prompt: 'x', audio: 'native' }, 4.0],
    ['3.0 Omni, no video, native audio, 1080p 5 s', { ...omni, prompt: 'x', audio: 'native', resolution: '1080p' }, 5.0],
    ['3.0 Omni, no video, native audio, 4k 3 s', { ...omni, prompt: 'x', audio: 'native', resolution: '4k', duration: 3 }, 9.0],
    ['3.0 Omni, feature video, 720p 5 s', { ...omni, prompt: 'x', featureVideo: { url: VID } }, 4.5],
    [
      '3.0 Omni, base video, original audio, 1080p 5 s',
      { ...omni, prompt: 'x', baseVideo: { url: VID }, audio: 'original', resolution: '1080p' },
      6.0,
    ],
    ['3.0 Omni, feature video, 4k 5 s', { ...omni, prompt: 'x', featureVideo: { url: VID }, resolution: '4k' }, 15.0],
    ['O1, no video, 720p 5 s', { ...o1 }, 3.0],
    ['O1, no video, 1080p 10 s', { ...o1, resolution: '1080p', duration: 10 }, 8.0],
    ['O1, feature video, 720p 5 s', { ...o1, featureVideo: { url: VID } }, 4.5],
    ['O1, base video, 1080p 10 s', { ...o1, baseVideo: { url: VID }, resolution: '1080p', duration: 10 }, 12.0],
  ] as Array<[string, object, number]>)('%s = %s units', (_name, request, units) => {
    const estimate = cost(request);
    expect(estimate.units).toBe(units);
    expect(estimate.credits).toBe(units * 10);
    expect(estimate).toMatchObject({ basis: 'per-second', confidence: 'official' });
  });

  it('states whether video input was priced, and refuses to guess a missing row', () => {
    expect(cost({ ...omni, prompt: 'x', featureVideo: { url: VID } }).videoInput).toBe(true);
    expect(cost({ ...omni, prompt: 'x' }).videoInput).toBe(false);
    const table = createPricingTable();
    table.rows = table.rows.filter((r) => !(r.model === 'kling-o1' && r.videoInput));
    expect(() => estimateCredits(resolve({ ...o1, featureVideo: { url: VID } }), table)).toThrow(PriceNotFoundError);
    expect(() => estimateCredits(resolve({ ...o1, featureVideo: { url: VID } }), table)).toThrow(/with video input/);
  });

  it('a configured row with videoInput overrides only its own row', () => {
    const table = createPricingTable({
      rows: [
        {
          model: 'kling-o1',
          resolution: '720p',
          audio: false,
          videoInput: true,
          basis: 'per-second',
          units: 1,
          confidence: 'official',
          source: 'test',
        },
      ],
    });
    expect(estimateCredits(resolve({ ...o1, featureVideo: { url: VID } }), table).units).toBe(5);
    expect(estimateCredits(resolve({ ...o1 }), table).units).toBe(3);
  });
});
