import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { api, errorOf, newI2V, newT2V, useSimulator } from './helpers.js';

const env = useSimulator();

async function reject(path: string, body: Record<string, unknown>) {
  const result = await api(env.sim).post(path, body);
  expect(errorOf(result)).toMatchObject({ status: 400, code: 1201 });
  expect(result.json.data).toBeUndefined();
  expect(env.sim.tasks()).toHaveLength(0);
  return result.json.message as string;
}

const FIRST = { type: 'first_frame', url: 'https://example.com/first.png' };
const LAST = { type: 'last_frame', url: 'https://example.com/last.png' };

describe('settings.duration is an integer on the new standard (NEW §1.3)', () => {
  it('rejects a string duration by default', async () => {
    expect(await reject('/text-to-video/kling-2.6', newT2V({ settings: { duration: '5' } }))).toBe(
      'settings.duration must be an integer such as 5, not a string',
    );
  });

  it('accepts a string duration when newStringDuration is "accept"', async () => {
    const lenient = await startSimulator({ newStringDuration: 'accept' });
    try {
      expect((await api(lenient).post('/text-to-video/kling-2.6', newT2V({ settings: { duration: '10' } }))).status).toBe(200);
      expect(lenient.tasks()[0]?.durationSeconds).toBe(10);
    } finally {
      await lenient.close();
    }
  });

  it('checks the model range: 5|10 on 2.6, 3…15 on 3.0-turbo', async () => {
    expect(await reject('/text-to-video/kling-2.6', newT2V({ settings: { duration: 7 } }))).toBe(
      'settings.duration must be one of 5, 10 for kling-2.6',
    );
    expect(await reject('/text-to-video/kling-3.0-turbo', newT2V({ settings: { duration: 16 } }))).toBe(
      'settings.duration must be an integer from 3 to 15 for kling-3.0-turbo',
    );
    expect((await api(env.sim).post('/text-to-video/kling-3.0-turbo', newT2V({ settings: { duration: 3 } }))).status).toBe(200);
  });
});

describe('per-model settings (NEW §1.3, §3.1)', () => {
  it('resolution per model: 4k only on kling-3.0', async () => {
    expect(await reject('/text-to-video/kling-2.6', newT2V({ settings: { resolution: '4k' } }))).toContain(
      'settings.resolution must be one of "720p", "1080p"',
    );
    expect((await api(env.sim).post('/text-to-video/kling-3.0', newT2V({ settings: { resolution: '4k', duration: 5 } }))).status).toBe(200);
  });

  it('no audio field on kling-3.0-turbo (always on) or kling-2.5-turbo', async () => {
    expect(await reject('/text-to-video/kling-3.0-turbo', newT2V({ settings: { audio: 'off' } }))).toContain('audio is always generated');
    expect(await reject('/text-to-video/kling-2.5-turbo', newT2V({ settings: { audio: 'native' } }))).toBe(
      'settings.audio is not supported by kling-2.5-turbo',
    );
  });

  it('kling-2.6 native audio only at 1080p', async () => {
    expect(await reject('/text-to-video/kling-2.6', newT2V({ settings: { audio: 'native', resolution: '720p' } }))).toBe(
      'settings.audio "native" on kling-2.6 requires settings.resolution "1080p"',
    );
    expect(
      (await api(env.sim).post('/text-to-video/kling-2.6', newT2V({ settings: { audio: 'native', resolution: '1080p', duration: 5 } }))).status,
    ).toBe(200);
    expect(env.sim.tasks()[0]).toMatchObject({ audio: true, units: 5 });
  });

  it('audio is native|off', async () => {
    expect(await reject('/text-to-video/kling-3.0', newT2V({ settings: { audio: 'on' } }))).toBe('settings.audio must be "native" or "off"');
  });

  it('multi_shot only on kling-3.0; aspect_ratio only on text-to-video', async () => {
    expect(await reject('/text-to-video/kling-2.6', newT2V({ settings: { multi_shot: false } }))).toBe(
      'settings.multi_shot is only supported by kling-3.0',
    );
    expect((await api(env.sim).post('/text-to-video/kling-3.0', newT2V({ settings: { multi_shot: false, aspect_ratio: '9:16' } }))).status).toBe(200);
    env.sim.reset();
    expect(await reject('/image-to-video/kling-2.6', newI2V([FIRST], { settings: { aspect_ratio: '16:9' } }))).toContain("'settings.aspect_ratio'");
  });

  it('legacy-only fields do not exist here', async () => {
    for (const field of ['negative_prompt', 'cfg_scale', 'mode', 'camera_control', 'model_name', 'duration']) {
      expect(await reject('/text-to-video/kling-2.6', newT2V({ [field]: 'x' }))).toBe(`Unknown parameter: '${field}' (not part of this API)`);
    }
  });

  it('prompt: required, ≤ 2500, or 3072 for kling-3.0-turbo text-to-video and kling-3.0', async () => {
    expect(await reject('/text-to-video/kling-2.6', { settings: { duration: 5 } })).toBe('prompt is required and must be a string');
    expect(await reject('/text-to-video/kling-2.6', newT2V({ prompt: 'x'.repeat(2501) }))).toBe(
      'prompt must be at most 2500 characters for kling-2.6',
    );
    expect(await reject('/text-to-video/kling-3.0', newT2V({ prompt: 'x'.repeat(3073) }))).toBe(
      'prompt must be at most 3072 characters for kling-3.0',
    );
    expect((await api(env.sim).post('/text-to-video/kling-3.0-turbo', newT2V({ prompt: 'x'.repeat(3072) }))).status).toBe(200);
  });

  it('options: external_task_id non-empty, callback_url a URL, watermark_info.enabled boolean', async () => {
    expect(await reject('/text-to-video/kling-2.6', newT2V({ options: { callback_url: 'ftp://x' } }))).toBe(
      'options.callback_url must be an absolute http(s) URL',
    );
    expect(await reject('/text-to-video/kling-2.6', newT2V({ options: { watermark_info: { enabled: 'yes' } } }))).toBe(
      'options.watermark_info.enabled must be a boolean',
    );
    expect(await reject('/text-to-video/kling-2.6', newT2V({ options: { external_task_id: '' } }))).toBe(
      'options.external_task_id must not be empty',
    );
  });
});

describe('image-to-video contents (NEW §3.2)', () => {
  it('kling-3.0-turbo takes no last_frame', async () => {
    expect(await reject('/image-to-video/kling-3.0-turbo', newI2V([FIRST, LAST]))).toContain('"last_frame" is not supported by kling-3.0-turbo');
  });

  it('last_frame needs a first_frame; a first_frame is required', async () => {
    expect(await reject('/image-to-video/kling-3.0', newI2V([LAST]))).toContain('last_frame requires a first_frame');
    expect(await reject('/image-to-video/kling-3.0', newI2V([{ type: 'prompt', text: 'hi' }]))).toBe('contents must include a first_frame');
  });

  it('first + last frame is 1080p-only on kling-2.6 and kling-2.5-turbo', async () => {
    expect(await reject('/image-to-video/kling-2.5-turbo', newI2V([FIRST, LAST]))).toBe(
      'first_frame + last_frame on kling-2.5-turbo requires settings.resolution "1080p"',
    );
    expect(await reject('/image-to-video/kling-2.6', newI2V([FIRST, LAST], { settings: { resolution: '720p' } }))).toContain(
      'requires settings.resolution "1080p"',
    );
    expect((await api(env.sim).post('/image-to-video/kling-2.5-turbo', newI2V([FIRST, LAST], { settings: { resolution: '1080p' } }))).status).toBe(
      200,
    );
  });

  it('content types per model; unknown types rejected', async () => {
    expect(await reject('/image-to-video/kling-2.5-turbo', newI2V([FIRST, { type: 'voice', voice_id: 'v', id: '1' }]))).toContain(
      '"voice" is not supported by kling-2.5-turbo',
    );
    expect(await reject('/image-to-video/kling-2.6', newI2V([{ type: 'frame', url: 'https://x/y.png' }]))).toBe(
      'contents[0].type must be one of "prompt", "first_frame", "last_frame", "element", "voice"',
    );
  });

  it('voices need audio "native" on kling-2.6', async () => {
    const voice = { type: 'voice', voice_id: 'v-1', id: '1' };
    expect(await reject('/image-to-video/kling-2.6', newI2V([FIRST, voice]))).toBe('voice contents require settings.audio "native"');
    const ok = await api(env.sim).post('/image-to-video/kling-2.6', newI2V([FIRST, voice], { settings: { audio: 'native', resolution: '1080p' } }));
    expect(ok.status).toBe(200);
    expect(env.sim.tasks()[0]?.units).toBe(6); // NEW §7.1: 1.2/s with voice control
  });

  it('a data: prefix is rejected by default and accepted when configured', async () => {
    const dataUri = { type: 'first_frame', url: `data:image/png;base64,${Buffer.from('png').toString('base64')}` };
    expect(await reject('/image-to-video/kling-2.6', newI2V([dataUri]))).toContain('data:');
    const lenient = await startSimulator({ newDataUriImages: 'accept' });
    try {
      expect((await api(lenient).post('/image-to-video/kling-2.6', newI2V([dataUri]))).status).toBe(200);
    } finally {
      await lenient.close();
    }
  });

  it('the I2V prompt lives in contents and follows the model limit', async () => {
    expect(await reject('/image-to-video/kling-3.0-turbo', newI2V([FIRST, { type: 'prompt', text: 'x'.repeat(2501) }]))).toBe(
      'contents[].text must be at most 2500 characters for kling-3.0-turbo',
    );
  });
});

describe('model ids (NEW §1.2)', () => {
  it('an unknown model id → 404/1203 by default', async () => {
    for (const model of ['kling-9', 'kling-v2-6', 'kling-3.0-omni']) {
      const result = await api(env.sim).post(`/text-to-video/${model}`, newT2V());
      expect(errorOf(result)).toMatchObject({ status: 404, code: 1203 });
      expect(result.json.message).toContain(model);
    }
  });

  it('unknownNewModel "400/1201" switches the answer', async () => {
    const other = await startSimulator({ unknownNewModel: '400/1201' });
    try {
      expect(errorOf(await api(other).post('/text-to-video/kling-9', newT2V()))).toMatchObject({ status: 400, code: 1201 });
    } finally {
      await other.close();
    }
  });

  it('each supported model creates on both products', async () => {
    for (const model of ['kling-3.0-turbo', 'kling-3.0', 'kling-2.6', 'kling-2.5-turbo']) {
      expect((await api(env.sim).post(`/text-to-video/${model}`, newT2V())).status).toBe(200);
      expect((await api(env.sim).post(`/image-to-video/${model}`, newI2V())).status).toBe(200);
    }
    expect(env.sim.tasks().map((t) => `${t.product}:${t.model}`)).toHaveLength(8);
  });
});
