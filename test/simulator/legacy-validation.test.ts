import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { api, errorOf, legacyI2V, legacyT2V, useSimulator } from './helpers.js';

const env = useSimulator();

async function rejectT2V(body: Record<string, unknown>) {
  const result = await api(env.sim).post('/v1/videos/text2video', body);
  expect(result.status).toBe(400);
  expect(result.json.code).toBe(1201);
  expect(result.json.data).toBeUndefined();
  expect(env.sim.tasks()).toHaveLength(0);
  return result.json.message as string;
}

async function rejectI2V(body: Record<string, unknown>) {
  const result = await api(env.sim).post('/v1/videos/image2video', body);
  expect(errorOf(result)).toMatchObject({ status: 400, code: 1201 });
  expect(env.sim.tasks()).toHaveLength(0);
  return result.json.message as string;
}

describe('duration is a string on the legacy standard (seed pitfall 1)', () => {
  it('rejects an integer duration, naming the field', async () => {
    const message = await rejectT2V(legacyT2V({ duration: 5 }));
    expect(message).toMatch(/^duration must be a string/);
  });

  it('accepts "5" and "10"', async () => {
    for (const duration of ['5', '10']) expect((await api(env.sim).post('/v1/videos/text2video', legacyT2V({ duration }))).status).toBe(200);
  });

  it('rejects durations outside the model range; kling-v3 takes "3"…"15"', async () => {
    expect(await rejectT2V(legacyT2V({ duration: '7' }))).toContain('"5", "10"');
    expect((await api(env.sim).post('/v1/videos/text2video', legacyT2V({ model_name: 'kling-v3', duration: '15' }))).status).toBe(200);
    env.sim.reset();
    expect(await rejectT2V(legacyT2V({ model_name: 'kling-v3', duration: '16' }))).toContain('duration must be one of');
  });
});

describe('model_name (REF §3.1/§3.2, NEW §1.3)', () => {
  it('kling-v2-1 and kling-v1-5 are image-to-video only (seed pitfall 7)', async () => {
    expect(await rejectT2V(legacyT2V({ model_name: 'kling-v2-1' }))).toContain('image-to-video only');
    expect(await rejectT2V(legacyT2V({ model_name: 'kling-v1-5' }))).toContain("model_name 'kling-v1-5'");
    expect((await api(env.sim).post('/v1/videos/image2video', legacyI2V({ model_name: 'kling-v2-1' }))).status).toBe(200);
  });

  it('kling-v1 is discontinued, and omitting model_name falls back to it', async () => {
    const discontinued = "The model 'kling-v1' has been discontinued and is no longer available.";
    expect(await rejectT2V(legacyT2V({ model_name: 'kling-v1' }))).toBe(discontinued);
    const { model_name: _omitted, ...withoutModel } = legacyT2V();
    expect(await rejectT2V(withoutModel)).toBe(discontinued);
  });

  it('an unknown model is rejected with the enum', async () => {
    expect(await rejectT2V(legacyT2V({ model_name: 'kling-2.6' }))).toContain('must be one of');
  });
});

describe('field rules', () => {
  it('prompt is required for text2video and limited to 2500 characters', async () => {
    const { prompt: _omitted, ...noPrompt } = legacyT2V();
    expect(await rejectT2V(noPrompt)).toContain('prompt is required');
    expect(await rejectT2V(legacyT2V({ prompt: 'x'.repeat(2501) }))).toBe('prompt must be at most 2500 characters');
    expect(await rejectT2V(legacyT2V({ negative_prompt: 'x'.repeat(2501) }))).toBe('negative_prompt must be at most 2500 characters');
  });

  it('mode is std|pro ("standard" is rejected); 4k only on kling-v3', async () => {
    expect(await rejectT2V(legacyT2V({ mode: 'standard' }))).toContain('mode must be one of "std", "pro"');
    expect(await rejectT2V(legacyT2V({ mode: '4k' }))).toContain('mode must be one of');
    expect((await api(env.sim).post('/v1/videos/text2video', legacyT2V({ model_name: 'kling-v3', mode: '4k' }))).status).toBe(200);
  });

  it('cfg_scale must be within [0, 1] and only on kling-v1.x', async () => {
    expect(await rejectT2V(legacyT2V({ model_name: 'kling-v1-6', cfg_scale: 1.5 }))).toBe('cfg_scale must be in [0, 1]');
    expect(await rejectT2V(legacyT2V({ cfg_scale: 0.5 }))).toContain('cfg_scale is not supported by kling-v2-6');
    expect((await api(env.sim).post('/v1/videos/text2video', legacyT2V({ model_name: 'kling-v1-6', cfg_scale: 0.5 }))).status).toBe(200);
  });

  it('aspect_ratio is an enum and exists on text2video only', async () => {
    expect(await rejectT2V(legacyT2V({ aspect_ratio: '4:3' }))).toContain('aspect_ratio must be one of');
    expect(await rejectI2V(legacyI2V({ aspect_ratio: '16:9' }))).toContain("'aspect_ratio'");
  });

  it('sound "on" only where supported (kling-v2-6 pro, kling-v3)', async () => {
    expect(await rejectT2V(legacyT2V({ model_name: 'kling-v2-5-turbo', sound: 'on' }))).toContain('sound "on" is not supported');
    expect(await rejectT2V(legacyT2V({ sound: 'on', mode: 'std' }))).toContain('sound "on" is only supported in "pro" mode');
    expect(await rejectT2V(legacyT2V({ sound: 'yes' }))).toBe('sound must be "on" or "off"');
    const ok = await api(env.sim).post('/v1/videos/text2video', legacyT2V({ sound: 'on', mode: 'pro' }));
    expect(ok.status).toBe(200);
    expect(env.sim.tasks()[0]).toMatchObject({ audio: true, units: 5 });
  });

  it('voice_list needs sound "on"', async () => {
    expect(await rejectT2V(legacyT2V({ mode: 'pro', voice_list: [{ voice_id: 'v1' }] }))).toContain('voice_list requires sound "on"');
  });

  it('callback_url must be an absolute http(s) URL; external_task_id a non-empty string', async () => {
    expect(await rejectT2V(legacyT2V({ callback_url: 'not a url' }))).toBe('callback_url must be an absolute http(s) URL');
    expect(await rejectT2V(legacyT2V({ external_task_id: '' }))).toBe('external_task_id must not be empty');
  });

  it('unknown body keys are rejected (e.g. the gateway-only enable_audio)', async () => {
    expect(await rejectT2V(legacyT2V({ enable_audio: true }))).toBe("Unknown parameter: 'enable_audio' (not part of text2video)");
  });

  it('a body that is not a JSON object → 400/1200', async () => {
    const result = await api(env.sim).post('/v1/videos/text2video', '[1,2]');
    expect(errorOf(result)).toMatchObject({ status: 400, code: 1200 });
    const broken = await api(env.sim).post('/v1/videos/text2video', '{"model_name":');
    expect(errorOf(broken)).toMatchObject({ status: 400, code: 1200 });
  });
});

describe('camera_control (REF §3.3)', () => {
  it('only one non-zero config field for type simple, each within [-10, 10]', async () => {
    const body = (config: unknown) => legacyI2V({ model_name: 'kling-v1-5', mode: 'pro', camera_control: { type: 'simple', config } });
    expect(await rejectI2V(body({ zoom: 5, pan: 1 }))).toContain('exactly one non-zero field');
    expect(await rejectI2V(body({ zoom: 0 }))).toContain('exactly one non-zero field');
    expect(await rejectI2V(body({ zoom: 11 }))).toBe('camera_control.config.zoom must be in [-10, 10]');
    expect((await api(env.sim).post('/v1/videos/image2video', body({ zoom: 5 }))).status).toBe(200);
  });

  it('non-simple types need an empty config; type is an enum', async () => {
    expect(await rejectI2V(legacyI2V({ camera_control: { type: 'down_back', config: { zoom: 1 } } }))).toBe(
      'camera_control.config must be empty for type "down_back"',
    );
    expect(await rejectI2V(legacyI2V({ camera_control: { type: 'spin' } }))).toContain('camera_control.type must be one of');
  });

  it('unsupported combinations get the observed message', async () => {
    expect(await rejectT2V(legacyT2V({ camera_control: { type: 'simple', config: { zoom: 5 } } }))).toBe(
      'camera_control is only supported in std mode with 5s duration and kling-v1',
    );
    expect(await rejectI2V(legacyI2V({ camera_control: { type: 'simple', config: { zoom: 5 } } }))).toContain(
      'camera_control is only supported in pro mode',
    );
  });
});

describe('image-to-video inputs (REF §3.2)', () => {
  it('needs image or image_tail', async () => {
    expect(await rejectI2V({ model_name: 'kling-v2-6', duration: '5' })).toContain('image is required');
  });

  it('rejects a data: prefix and accepts raw Base64', async () => {
    const raw = Buffer.from('fake-png-bytes').toString('base64');
    expect(await rejectI2V(legacyI2V({ image: `data:image/png;base64,${raw}` }))).toContain('without a "data:...;base64," prefix');
    expect((await api(env.sim).post('/v1/videos/image2video', legacyI2V({ image: raw }))).status).toBe(200);
  });

  it('rejects Base64 above 10 MB', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 3, 1).toString('base64');
    expect(await rejectI2V(legacyI2V({ image: big }))).toBe('image must not exceed 10MB');
  });

  it('image_tail, the motion brush and camera_control are mutually exclusive (seed pitfall 6)', async () => {
    const tail = { image_tail: 'https://example.com/last.png' };
    const masks = { static_mask: 'https://example.com/mask.png' };
    const camera = { camera_control: { type: 'simple', config: { zoom: 5 } } };
    const base = { model_name: 'kling-v1-5', mode: 'pro' };
    for (const combo of [
      { ...tail, ...camera },
      { ...tail, ...masks },
      { ...masks, ...camera },
      { ...tail, ...masks, ...camera },
    ]) {
      expect(await rejectI2V(legacyI2V({ ...base, ...combo }))).toContain('mutually exclusive');
    }
    expect((await api(env.sim).post('/v1/videos/image2video', legacyI2V({ ...base, ...tail }))).status).toBe(200);
  });

  it('dynamic_masks: at most 6 groups, 2–77 trajectory points', async () => {
    const group = (points: number) => ({
      mask: 'https://example.com/m.png',
      trajectories: Array.from({ length: points }, (_, i) => ({ x: i, y: i })),
    });
    const base = { model_name: 'kling-v1-5', mode: 'pro' };
    expect(await rejectI2V(legacyI2V({ ...base, dynamic_masks: Array.from({ length: 7 }, () => group(2)) }))).toBe(
      'dynamic_masks must contain at most 6 groups',
    );
    expect(await rejectI2V(legacyI2V({ ...base, dynamic_masks: [group(1)] }))).toBe('dynamic_masks[0].trajectories must hold 2 to 77 points');
    expect(await rejectI2V(legacyI2V({ ...base, dynamic_masks: [group(78)] }))).toBe('dynamic_masks[0].trajectories must hold 2 to 77 points');
    expect((await api(env.sim).post('/v1/videos/image2video', legacyI2V({ ...base, dynamic_masks: [group(77)] }))).status).toBe(200);
  });

  it('image_tail follows the model/mode table', async () => {
    const tail = 'https://example.com/last.png';
    expect(await rejectI2V(legacyI2V({ model_name: 'kling-v2-master', image_tail: tail }))).toBe('image_tail is not supported by kling-v2-master');
    expect(await rejectI2V(legacyI2V({ model_name: 'kling-v2-1', mode: 'std', image_tail: tail }))).toContain('only supported in "pro" mode');
    expect(await rejectI2V({ model_name: 'kling-v2-1', mode: 'pro', image_tail: tail })).toContain('image_tail alone');
    expect((await api(env.sim).post('/v1/videos/image2video', { model_name: 'kling-v1-6', mode: 'pro', image_tail: tail })).status).toBe(200);
  });
});

describe('strictCapabilities: false accepts what the real API silently ignores (REF §7 problem 9)', () => {
  it('drops cfg_scale on v2.x, sound on v2-6 std and image_tail on v2-5-turbo std', async () => {
    const lenient = await startSimulator({ strictCapabilities: false });
    try {
      const a = await api(lenient).post('/v1/videos/text2video', legacyT2V({ cfg_scale: 0.3, sound: 'on', mode: 'std' }));
      expect(a.status).toBe(200);
      const b = await api(lenient).post(
        '/v1/videos/image2video',
        legacyI2V({ model_name: 'kling-v2-5-turbo', mode: 'std', image_tail: 'https://example.com/l.png' }),
      );
      expect(b.status).toBe(200);
      const [first, second] = lenient.tasks();
      expect(first?.body).not.toHaveProperty('cfg_scale');
      expect(first?.body).not.toHaveProperty('sound');
      expect(first?.audio).toBe(false);
      expect(second?.body).not.toHaveProperty('image_tail');
      // Still rejected: things the real API was seen to reject.
      const c = await api(lenient).post('/v1/videos/text2video', legacyT2V({ camera_control: { type: 'simple', config: { zoom: 1 } } }));
      expect(errorOf(c)).toMatchObject({ status: 400, code: 1201 });
    } finally {
      await lenient.close();
    }
  });

  it('rejectUnknownFields: false drops unknown keys', async () => {
    const lenient = await startSimulator({ rejectUnknownFields: false });
    try {
      expect((await api(lenient).post('/v1/videos/text2video', legacyT2V({ enable_audio: true }))).status).toBe(200);
      expect(lenient.tasks()[0]?.body).not.toHaveProperty('enable_audio');
    } finally {
      await lenient.close();
    }
  });
});
