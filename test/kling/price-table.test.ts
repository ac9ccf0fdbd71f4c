import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { createModelCatalog, estimateCredits, KlingValidationError, resolveRequest } from '../../src/kling/index.js';

// Issue 20 item 3: every cell of NEW §7.1's video table (units per second, 1 unit = 10 credits here) has a case, and
// the estimate says in words what it assumed: for motion control, the output duration Kling will bill (rounded).
const catalog = createModelCatalog();
const resolve = (request: unknown) => resolveRequest(request, { catalog, availableStandards: ['new', 'legacy'], preferredStandard: 'new' });

const IMG = 'https://cdn.example.com/a.png';
const VID = 'https://cdn.example.com/ref.mp4';
const t2v = (model: string, extra: object = {}) => ({ model, kind: 'text-to-video', prompt: 'A fox in the snow', duration: 5, ...extra });
const omni = (model: string, extra: object = {}) => ({ model, kind: 'omni-video', prompt: 'A fox in the snow', duration: 5, ...extra });
const motion = (model: string, extra: object = {}) => ({
  model,
  kind: 'motion-control',
  image: IMG,
  motionVideo: VID,
  characterOrientation: 'video',
  duration: 5,
  ...extra,
});

describe('NEW §7.1, every cell (5 s requests)', () => {
  it.each([
    // [row, column, request, units per second]
    ['Kling 3.0 Turbo, with native audio', '720p', t2v('kling-3.0-turbo'), 0.8],
    ['Kling 3.0 Turbo, with native audio', '1080p', t2v('kling-3.0-turbo', { resolution: '1080p' }), 1.0],
    ['Kling 3.0, no native audio', '720p', t2v('kling-3.0'), 0.6],
    ['Kling 3.0, no native audio', '1080p', t2v('kling-3.0', { resolution: '1080p' }), 0.8],
    ['Kling 3.0, no native audio', '4K', t2v('kling-3.0', { resolution: '4k' }), 3.0],
    ['Kling 3.0, with native audio', '720p', t2v('kling-3.0', { audio: true }), 0.9],
    ['Kling 3.0, with native audio', '1080p', t2v('kling-3.0', { audio: true, resolution: '1080p' }), 1.2],
    ['Kling 3.0, with native audio', '4K', t2v('kling-3.0', { audio: true, resolution: '4k' }), 3.0],
    ['Kling 3.0, motion control', '720p', motion('kling-3.0'), 0.9],
    ['Kling 3.0, motion control', '1080p', motion('kling-3.0', { resolution: '1080p' }), 1.2],
    ['Kling 3.0 Omni, no video input, no native audio', '720p', omni('kling-3.0-omni'), 0.6],
    ['Kling 3.0 Omni, no video input, no native audio', '1080p', omni('kling-3.0-omni', { resolution: '1080p' }), 0.8],
    ['Kling 3.0 Omni, no video input, no native audio', '4K', omni('kling-3.0-omni', { resolution: '4k' }), 3.0],
    ['Kling 3.0 Omni, no video input, with native audio', '720p', omni('kling-3.0-omni', { audio: 'native' }), 0.8],
    ['Kling 3.0 Omni, no video input, with native audio', '1080p', omni('kling-3.0-omni', { audio: 'native', resolution: '1080p' }), 1.0],
    ['Kling 3.0 Omni, no video input, with native audio', '4K', omni('kling-3.0-omni', { audio: 'native', resolution: '4k' }), 3.0],
    ['Kling 3.0 Omni, with video input, no native audio', '720p', omni('kling-3.0-omni', { featureVideo: { url: VID } }), 0.9],
    [
      'Kling 3.0 Omni, with video input, no native audio',
      '1080p',
      omni('kling-3.0-omni', { baseVideo: { url: VID }, audio: 'original', resolution: '1080p' }),
      1.2,
    ],
    ['Kling 3.0 Omni, with video input, no native audio', '4K', omni('kling-3.0-omni', { baseVideo: { url: VID }, resolution: '4k' }), 3.0],
    ['Kling O1, no video input', '720p', omni('kling-o1'), 0.6],
    ['Kling O1, no video input', '1080p', omni('kling-o1', { resolution: '1080p' }), 0.8],
    ['Kling O1, with video input', '720p', omni('kling-o1', { featureVideo: { url: VID } }), 0.9],
    ['Kling O1, with video input', '1080p', omni('kling-o1', { baseVideo: { url: VID }, resolution: '1080p' }), 1.2],
    ['Kling 2.6, no native audio', '720p', t2v('kling-2.6'), 0.3],
    ['Kling 2.6, no native audio', '1080p', t2v('kling-2.6', { resolution: '1080p' }), 0.5],
    ['Kling 2.6, native audio, no voice control', '1080p', t2v('kling-2.6', { audio: true, resolution: '1080p' }), 1.0],
    [
      'Kling 2.6, native audio, voice control',
      '1080p',
      { model: 'kling-2.6', kind: 'image-to-video', image: IMG, voices: [{ voiceId: 'v-1' }], audio: true, resolution: '1080p', duration: 5 },
      1.2,
    ],
    ['Kling 2.6, motion control', '720p', motion('kling-2.6'), 0.5],
    ['Kling 2.6, motion control', '1080p', motion('kling-2.6', { resolution: '1080p' }), 0.8],
    ['Kling 2.5 Turbo, no native audio', '720p', t2v('kling-2.5-turbo'), 0.3],
    ['Kling 2.5 Turbo, no native audio', '1080p', t2v('kling-2.5-turbo', { resolution: '1080p' }), 0.5],
  ] as Array<[string, string, object, number]>)('%s, %s: %s units/s', (_row, _column, request, rate) => {
    const estimate = estimateCredits(resolve(request));
    const units = Math.round(rate * 5 * 1000) / 1000;
    expect(estimate).toMatchObject({ units, credits: units * 10, durationSeconds: 5, basis: 'per-second', confidence: 'official' });
    expect(estimate.description).toContain(`${rate} units/s × 5 s`);
    expect(estimate.description).toContain(`= ${units} units = ${units * 10} credits`);
  });

  it.each([
    ['4K motion control (the table has no 4K motion cell)', motion('kling-3.0', { resolution: '4k' }), 'resolution'],
    ['4K on Kling O1', omni('kling-o1', { resolution: '4k' }), 'resolution'],
    ['4K on Kling 3.0 Turbo', t2v('kling-3.0-turbo', { resolution: '4k' }), 'resolution'],
    ['native audio at 720p on Kling 2.6 (no such cell)', t2v('kling-2.6', { audio: true, resolution: '720p' }), 'audio'],
  ] as Array<[string, object, string]>)('the empty cells are refused before any price: %s', (_n, request, field) => {
    let issues: Array<{ field: string }> = [];
    try {
      resolve(request);
    } catch (err) {
      if (err instanceof KlingValidationError) issues = err.issues;
    }
    expect(issues.map((i) => i.field)).toContain(field);
  });
});

describe('the estimate in words', () => {
  it('motion control names the output duration it assumed and why, and says the ledger records the actual deduction', () => {
    const longest = estimateCredits(resolve(motion('kling-3.0', { duration: undefined, resolution: '1080p' }))).description!;
    expect(longest).toMatch(
      /^kling-3\.0 motion-control at 1080p, audio original: 1\.2 units\/s × 30 s of output assumed \(the longest motion video characterOrientation "video" allows/,
    );
    expect(longest).toMatch(/= 36 units = 360 credits\. Kling bills the output's seconds, rounded; the ledger records its actual deduction$/);
    const image = estimateCredits(resolve(motion('kling-2.6', { duration: undefined, characterOrientation: 'image' }))).description!;
    expect(image).toMatch(/0\.5 units\/s × 10 s of output assumed \(the longest motion video characterOrientation "image" allows/);
    const given = estimateCredits(resolve(motion('kling-2.6', { duration: 7, audio: 'off' }))).description!;
    expect(given).toMatch(/720p, silent: 0\.5 units\/s × 7 s of output assumed \(the duration you gave\)/);
  });

  it('other kinds state model, kind, resolution, audio, video input and rate × seconds', () => {
    expect(estimateCredits(resolve(omni('kling-3.0-omni', { featureVideo: { url: VID }, resolution: '1080p' }))).description).toBe(
      'kling-3.0-omni omni-video at 1080p, silent, with video input: 1.2 units/s × 5 s = 6 units = 60 credits',
    );
    expect(estimateCredits(resolve(t2v('kling-2.6', { audio: true, resolution: '1080p' }))).description).toBe(
      'kling-2.6 text-to-video at 1080p, native audio: 1 units/s × 5 s = 5 units = 50 credits',
    );
    expect(estimateCredits(resolve({ model: 'kling-v1-6', kind: 'text-to-video', prompt: 'A fox', duration: 5 })).description).toMatch(
      /^kling-v1-6 text-to-video at 720p, silent: 1 units for a 5 s task \(inferred price\) = 1 units = 10 credits$/,
    );
  });

  it('`kling-video estimate` prints it (in process): the motion-control output duration assumed', async () => {
    let printed = '';
    const ctx: CliContext = {
      output: { out: (t) => (printed += `${t}\n`), err: (t) => (printed += `${t}\n`), isTty: false },
      json: false,
      exitCode: 0,
    };
    await buildProgram(ctx).parseAsync(
      [
        'estimate',
        '-m',
        'kling-3.0',
        '-k',
        'motion-control',
        '--image',
        IMG,
        '--motion-video',
        VID,
        '--character-orientation',
        'image',
        '-r',
        '1080p',
      ],
      { from: 'user' },
    );
    expect(ctx.exitCode).toBe(0);
    expect(printed).toMatch(
      /1\.2 units\/s × 10 s of output assumed \(the longest motion video characterOrientation "image" allows; give duration to estimate closer\)/,
    );
    expect(printed).toMatch(/as requested \(audio off\): 120 credits/);
  });
});
