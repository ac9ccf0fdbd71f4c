import { describe, expect, it } from 'vitest';
import { createModelCatalog, KlingCredentialsError, KlingValidationError, resolveRequest, type ApiStandard } from '../../src/kling/index.js';

const catalog = createModelCatalog();
const both: ApiStandard[] = ['new', 'legacy'];
const resolve = (request: unknown, availableStandards = both) => resolveRequest(request, { catalog, availableStandards, preferredStandard: 'new' });

function issuesOf(request: unknown): Array<{ field: string; message: string }> {
  try {
    resolve(request);
  } catch (err) {
    if (err instanceof KlingValidationError) return err.issues;
    throw err;
  }
  throw new Error('expected a validation error');
}

const t2v = { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A red fox trots through fresh snow at dawn' };
const i2v = { model: 'kling-v1-5', kind: 'image-to-video', image: 'https://example.com/a.png', standard: 'legacy' };

describe('resolveRequest', () => {
  it('prefers the new standard where both serve the model, legacy with only access/secret keys', () => {
    expect(resolve(t2v).standard).toBe('new');
    expect(resolve(t2v, ['legacy']).standard).toBe('legacy');
    expect(resolve({ ...t2v, model: 'kling-v2-6' }).model.id).toBe('kling-2.6');
  });

  it('refuses a new-standard-only model without an API key, saying an API key is needed', () => {
    expect(() => resolve({ ...t2v, model: 'kling-3.0-turbo' }, ['legacy'])).toThrow(KlingCredentialsError);
    expect(() => resolve({ ...t2v, model: 'kling-3.0-turbo' }, ['legacy'])).toThrow(/API key/);
  });

  it('forcing the new standard without an API key for a model both standards serve: says so and points at the legacy standard', () => {
    let error: unknown;
    try {
      resolve({ ...t2v, standard: 'new' }, ['legacy']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KlingCredentialsError);
    const message = (error as Error).message;
    // kling-2.6 is served by both standards (catalog): "served only by" would send the user after the wrong fix.
    expect(message).not.toMatch(/served only by/);
    expect(message).toMatch(/^standard: /);
    expect(message).toMatch(/new API standard needs an API key \(KLING_API_KEY\), and the configured credentials have none/);
    expect(message).toMatch(/kling-2\.6 is also served by the legacy standard: drop `standard` or set it to "legacy"/);
  });

  it('accepts duration as 5 or "5" alike', () => {
    expect(resolve({ ...t2v, duration: '10' }).duration).toBe(10);
    expect(resolve({ ...t2v, duration: 10 }).duration).toBe(10);
  });

  it.each([
    [{ ...t2v, model: 'kling-v2-1' }, 'kind', /image-to-video/],
    [{ ...t2v, model: 'kling-v1-5' }, 'kind', /image-to-video/],
    [{ ...t2v, model: 'kling-v1' }, 'model', /discontinued/],
    [{ ...t2v, model: 'kling-9' }, 'model', /unknown model/],
    [{ ...t2v, duration: 7 }, 'duration', /5 or 10/],
    [{ ...t2v, duration: 'five' }, 'duration', /whole number/],
    [{ ...t2v, prompt: '' }, 'prompt', /required/],
    [{ ...t2v, prompt: 'x'.repeat(2501) }, 'prompt', /2501 characters/],
    [{ ...t2v, resolution: '4k' }, 'resolution', /720p, 1080p/],
    [{ ...t2v, mode: 'pro', resolution: '720p' }, 'mode', /contradicts/],
    [{ ...t2v, audio: true, resolution: '720p' }, 'audio', /1080p/],
    [{ ...t2v, model: 'kling-2.5-turbo', audio: true }, 'audio', /no native audio/],
    [{ ...t2v, model: 'kling-3.0-turbo', audio: false }, 'audio', /cannot be turned off/],
    [{ ...t2v, negativePrompt: 'blur' }, 'negativePrompt', /new API standard/],
    [{ ...t2v, standard: 'legacy', cfgScale: 0.5 }, 'cfgScale', /not supported by kling-2.6/],
    [{ ...t2v, multiShot: false }, 'multiShot', /not available/],
    [{ ...t2v, image: 'https://example.com/a.png' }, 'image', /image-to-video/],
    [{ ...t2v, callbackUrl: 'ftp://x' }, 'callbackUrl', /./],
    [{ ...t2v, extra: 1 }, 'extra', /unknown field/],
    [{ ...i2v, image: 'data:image/png;base64,AAAA' }, 'image', /data:/],
    [{ ...i2v, image: undefined }, 'image', /required/],
    [{ ...i2v, aspectRatio: '16:9' }, 'aspectRatio', /from the image/],
    [{ ...i2v, cameraControl: { type: 'simple', config: { zoom: 5, pan: 2 } } }, 'cameraControl.config', /exactly one/],
    [{ ...i2v, cameraControl: { type: 'simple', config: { zoom: 11 } } }, 'cameraControl.config.zoom', /./],
    [{ ...i2v, cameraControl: { type: 'down_back', config: { zoom: 1 } } }, 'cameraControl.config', /empty/],
    [{ ...i2v, cameraControl: { type: 'simple', config: { zoom: 5 } } }, 'cameraControl', /1080p, 5 s/],
    [{ ...i2v, model: 'kling-2.6', standard: undefined, imageTail: 'https://example.com/b.png', resolution: '720p' }, 'imageTail', /1080p/],
    [{ ...i2v, model: 'kling-3.0-turbo', standard: undefined, imageTail: 'https://example.com/b.png' }, 'imageTail', /end frame/],
    [{ ...t2v, model: 'kling-2.5-turbo', voices: [{ voiceId: 'v1' }] }, 'voices', /not available/],
    [{ ...t2v, voices: [{ voiceId: 'v1' }] }, 'voices', /not available for kling-2.6 text-to-video on the new standard/],
    [{ ...t2v, standard: 'legacy', voices: [{ voiceId: 'v1' }] }, 'voices', /needs audio/],
    [{ ...t2v, voices: [{ voiceId: 'a' }, { voiceId: 'b' }, { voiceId: 'c' }] }, 'voices', /2/],
    [{ ...i2v, model: 'kling-2.6', standard: undefined, elements: [{ elementId: 'e1' }] }, 'elements', /new-standard image-to-video/],
    [{ ...i2v, model: 'kling-3.0', standard: 'legacy', elements: [{ elementId: 'e1' }] }, 'elements', /legacy/],
    [{ ...i2v, dynamicMasks: [{ mask: 'https://example.com/m.png', trajectories: [{ x: 1, y: 1 }] }] }, 'dynamicMasks.0.trajectories', /./],
    [{ ...i2v, staticMask: 'https://example.com/m.png', mode: 'std' }, 'staticMask', /only at 1080p, 5 s/],
    [{ ...i2v, model: 'kling-2.6', standard: undefined, audio: true, imageTail: 'https://example.com/b.png' }, 'imageTail', /silent/],
    [{ ...i2v, image: 'https://' }, 'image', /URL with a host/],
    [{ ...i2v, image: 'QUJD' + 'A' }, 'image', /raw base64/],
  ])('refuses %j naming %s', (request, field, message) => {
    const issues = issuesOf(request);
    const issue = issues.find((i) => i.field === field);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
  });

  it('refuses mixed image-to-video feature groups (seed pitfall 6), naming each field', () => {
    const mixes = [
      { imageTail: 'https://example.com/b.png', cameraControl: { type: 'simple', config: { zoom: 5 } } },
      { staticMask: 'https://example.com/m.png', cameraControl: { type: 'simple', config: { zoom: 5 } } },
      { imageTail: 'https://example.com/b.png', staticMask: 'https://example.com/m.png' },
    ];
    for (const mix of mixes) {
      const issue = issuesOf({ ...i2v, resolution: '1080p', ...mix }).find((i) => /mutually exclusive/.test(i.message));
      expect(issue).toBeDefined();
      for (const field of Object.keys(mix)) expect(issue!.field).toContain(field === 'staticMask' ? 'staticMask' : field);
    }
  });

  it('accepts each image-to-video feature group alone where the model supports it', () => {
    const base = { ...i2v, resolution: '1080p', duration: 5 };
    expect(resolve({ ...base, imageTail: 'https://example.com/b.png' }).resolution).toBe('1080p');
    expect(resolve({ ...base, staticMask: 'https://example.com/m.png' }).model.id).toBe('kling-v1-5');
    expect(resolve({ ...base, cameraControl: { type: 'simple', config: { zoom: 5 } } }).duration).toBe(5);
  });

  it('accepts voices and elements where the model has them, with a first frame optional next to elements', () => {
    const voiced = resolve({ ...i2v, model: 'kling-2.6', standard: undefined, audio: true, voices: [{ voiceId: 'v1' }] });
    expect(voiced).toMatchObject({ standard: 'new', resolution: '1080p', audio: true });
    expect(resolve({ ...t2v, standard: 'legacy', audio: true, voices: [{ voiceId: 'v1' }] }).standard).toBe('legacy');
    const elements = resolve({ model: 'kling-3.0', kind: 'image-to-video', elements: [{ elementId: 'e1' }, { elementId: 'e2' }] });
    expect(elements.request.elements).toHaveLength(2);
  });

  it('picks the resolution that requested audio needs when none is given', () => {
    expect(resolve({ ...t2v, audio: true }).resolution).toBe('1080p');
    expect(resolve(t2v).resolution).toBe('720p');
  });

  it('collects several problems in one error', () => {
    const issues = issuesOf({ ...t2v, duration: 7, negativePrompt: 'x', resolution: '4k' });
    expect(issues.map((i) => i.field).sort()).toEqual(['duration', 'negativePrompt', 'resolution']);
  });
});
