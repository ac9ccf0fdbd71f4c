import { describe, expect, it } from 'vitest';
import { startSimulator, type TaskTransition } from '../../src/simulator/index.js';
import { api, legacyI2V, legacyT2V, newT2V, useSimulator } from './helpers.js';

const env = useSimulator({ schedule: { submittedMs: 1_000, processingMs: 5_000 } });

async function createLegacy(body = legacyT2V()) {
  const result = await api(env.sim).post('/v1/videos/text2video', body);
  expect(result.status).toBe(200);
  return result.json.data as { task_id: string; created_at: number };
}

describe('legacy lifecycle (REF §4.2, §4.3)', () => {
  it('create answers submitted with an 18-digit id, ms timestamps and task_info', async () => {
    const result = await api(env.sim).post('/v1/videos/text2video', legacyT2V({ external_task_id: 'ext-1' }));
    expect(result.json).toMatchObject({ code: 0, message: 'SUCCEED' });
    expect(result.json.request_id).toMatch(/^[0-9a-f-]{36}$/);
    const data = result.json.data;
    expect(data.task_id).toMatch(/^\d{18,19}$/);
    expect(data).toEqual({
      task_id: data.task_id,
      task_status: 'submitted',
      task_info: { external_task_id: 'ext-1' },
      created_at: env.clock.now(),
      updated_at: env.clock.now(),
    });
    const bare = await api(env.sim).post('/v1/videos/text2video', legacyT2V());
    expect(bare.json.data.task_info).toEqual({});
  });

  it('walks submitted → processing → succeed on the env.clock, updating updated_at at each transition', async () => {
    const { task_id: id, created_at: createdAt } = await createLegacy();
    const query = async () => (await api(env.sim).get(`/v1/videos/text2video/${id}`)).json.data;

    expect(await query()).toMatchObject({ task_status: 'submitted', updated_at: createdAt, task_result: {} });
    env.clock.advance(1_000);
    expect(await query()).toMatchObject({ task_status: 'processing', updated_at: createdAt + 1_000, task_status_msg: '' });
    expect((await query()).final_unit_deduction).toBeUndefined();
    env.clock.advance(10_000); // observed late: updated_at is still the scheduled transition time
    const done = await query();
    expect(done).toMatchObject({ task_status: 'succeed', updated_at: createdAt + 6_000, final_unit_deduction: '1.5' });
    expect(done.task_result.videos).toHaveLength(1);
    expect(done.task_result.videos[0]).toMatchObject({ duration: '5.041' });
    expect(done.task_result.videos[0].url).toMatch(new RegExp(`^${env.sim.url}/cdn/[0-9a-f]+\\.mp4$`));
    expect(env.sim.balance().spentUnits).toBe(1.5);
  });

  it('a failed task is HTTP 200 / code 0 / SUCCEED with task_status_msg and an empty task_result, and costs nothing', async () => {
    env.sim.failNext('Image pixel is invalid');
    const { task_id: id } = await createLegacy();
    env.clock.advance(6_000);
    const result = await api(env.sim).get(`/v1/videos/text2video/${id}`);
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ code: 0, message: 'SUCCEED' });
    expect(result.json.data).toMatchObject({ task_status: 'failed', task_status_msg: 'Image pixel is invalid', task_result: {} });
    expect(result.json.data.final_unit_deduction).toBeUndefined();
    expect(env.sim.balance().spentUnits).toBe(0);
    expect(env.sim.task(id)?.chargedUnits).toBeUndefined();
  });

  it('a [sim:fail reason] prompt marker fails the task; [sim:never] never finishes it', async () => {
    const { task_id: failing } = await createLegacy(legacyT2V({ prompt: 'sunset [sim:fail Content risk control]' }));
    const { task_id: stuck } = await createLegacy(legacyT2V({ prompt: 'sunset [sim:never]' }));
    env.clock.advance(60 * 60 * 1000);
    expect(env.sim.task(failing)).toMatchObject({ status: 'failed', statusMessage: 'Content risk control' });
    expect(env.sim.task(stuck)?.status).toBe('processing');
  });

  it('an outcome rule and per-external-id failures decide outcomes', async () => {
    const ruled = await startSimulator({
      now: env.clock.now,
      outcome: (task) => (task.model === 'kling-v1-6' ? { fail: 'model said no' } : undefined),
    });
    try {
      ruled.failExternalId('doomed', 'Failure for doomed');
      await api(ruled).post('/v1/videos/text2video', legacyT2V({ model_name: 'kling-v1-6' }));
      await api(ruled).post('/v1/videos/text2video', legacyT2V({ external_task_id: 'doomed' }));
      await api(ruled).post('/v1/videos/text2video', legacyT2V());
      env.clock.advance(2_000);
      expect(ruled.tasks().map((t) => [t.status, t.statusMessage])).toEqual([
        ['failed', 'model said no'],
        ['failed', 'Failure for doomed'],
        ['succeeded', ''],
      ]);
    } finally {
      await ruled.close();
    }
  });

  it('completeTask and failTask force terminal states now', async () => {
    const { task_id: a } = await createLegacy();
    const { task_id: b } = await createLegacy();
    env.clock.advance(10);
    env.sim.completeTask(a);
    env.sim.failTask(b, 'forced');
    expect(env.sim.task(a)).toMatchObject({ status: 'succeeded', updatedAt: env.clock.now(), chargedUnits: 1.5 });
    expect(env.sim.task(b)).toMatchObject({ status: 'failed', statusMessage: 'forced' });
    expect(() => env.sim.completeTask(a)).toThrow(/already finished/);
    expect(() => env.sim.failTask('404', 'x')).toThrow(/unknown task/);
  });

  it('image2video tasks are scoped to their family; list data is an array, newest first', async () => {
    const i2v = (await api(env.sim).post('/v1/videos/image2video', legacyI2V())).json.data.task_id as string;
    const t2vFirst = (await createLegacy()).task_id;
    env.clock.advance(1);
    const t2vSecond = (await createLegacy()).task_id;
    expect((await api(env.sim).get(`/v1/videos/text2video/${i2v}`)).status).toBe(400);
    expect((await api(env.sim).get(`/v1/videos/image2video/${i2v}`)).json.data.task_id).toBe(i2v);
    const list = await api(env.sim).get('/v1/videos/text2video?pageNum=1&pageSize=30');
    expect(list.json.data.map((t: { task_id: string }) => t.task_id)).toEqual([t2vSecond, t2vFirst]);
    const page2 = await api(env.sim).get('/v1/videos/text2video?pageNum=2&pageSize=1');
    expect(page2.json.data.map((t: { task_id: string }) => t.task_id)).toEqual([t2vFirst]);
    expect((await api(env.sim).get('/v1/videos/text2video?pageSize=501')).json.code).toBe(1201);
  });
});

describe('new-standard lifecycle (NEW §3.4, §3.5)', () => {
  it('create data, then submitted → processing → succeeded with outputs and billing', async () => {
    const created = await api(env.sim).post(
      '/text-to-video/kling-3.0-turbo',
      newT2V({ settings: { duration: 3 }, options: { external_task_id: 'n-1' } }),
    );
    const data = created.json.data;
    expect(data).toEqual({ id: data.id, status: 'submitted', create_time: env.clock.now(), update_time: env.clock.now(), external_id: 'n-1' });
    const get = async () => (await api(env.sim).get(`/tasks?task_ids=${data.id}`)).json.data[0];

    expect(await get()).toMatchObject({ status: 'submitted', outputs: [], message: '' });
    expect((await get()).billing).toBeUndefined();
    env.clock.advance(1_000);
    expect(await get()).toMatchObject({ status: 'processing', update_time: data.create_time + 1_000 });
    env.clock.advance(5_000);
    const done = await get();
    expect(done).toMatchObject({ status: 'succeeded', external_id: 'n-1', update_time: data.create_time + 6_000 });
    expect(done.outputs).toEqual([
      { type: 'video', id: expect.any(String), url: expect.stringMatching(/\/cdn\/[0-9a-f]+\.mp4$/), duration: '3.041' },
    ]);
    // NEW §3.5 observed: 3 s / 720p kling-3.0-turbo billed unit 2.4 video.
    expect(done.billing).toEqual([{ charge_type: 'unit', amount: '2.4', package_type: 'video' }]);
  });

  it('a failed task carries message, empty outputs, no billing, HTTP 200 / code 0', async () => {
    env.sim.failNext('Content risk control triggered');
    const id = (await api(env.sim).post('/text-to-video/kling-2.6', newT2V())).json.data.id;
    env.clock.advance(6_000);
    const result = await api(env.sim).get(`/tasks?task_ids=${id}`);
    expect(result.status).toBe(200);
    expect(result.json.code).toBe(0);
    expect(result.json.data[0]).toMatchObject({ status: 'failed', message: 'Content risk control triggered', outputs: [] });
    expect(result.json.data[0].billing).toBeUndefined();
  });

  it('legacy tasks are visible on GET /tasks in the new shape', async () => {
    const { task_id: id } = await createLegacy(legacyT2V({ external_task_id: 'legacy-ext' }));
    env.clock.advance(6_000);
    const byId = await api(env.sim).get(`/tasks?task_ids=${id}`);
    expect(byId.json.data[0]).toMatchObject({ id, status: 'succeeded', external_id: 'legacy-ext', billing: [{ amount: '1.5' }] });
    const byExternal = await api(env.sim).get('/tasks?external_task_ids=legacy-ext');
    expect(byExternal.json.data[0].id).toBe(id);
  });

  it('watermarked results carry watermark_url', async () => {
    const id = (await api(env.sim).post('/text-to-video/kling-2.6', newT2V({ options: { watermark_info: { enabled: true } } }))).json.data.id;
    env.clock.advance(6_000);
    const output = (await api(env.sim).get(`/tasks?task_ids=${id}`)).json.data[0].outputs[0];
    expect(output.watermark_url).toMatch(/\/cdn\/[0-9a-f]+\.mp4$/);
    expect(output.watermark_url).not.toBe(output.url);
  });

  it('transition listeners see each status change in order (the hook for callbacks)', async () => {
    const seen: Array<Pick<TaskTransition, 'from' | 'to' | 'at'>> = [];
    const off = env.sim.onTransition(({ from, to, at }) => seen.push({ from, to, at }));
    const id = (await api(env.sim).post('/text-to-video/kling-2.6', newT2V())).json.data.id;
    const start = env.sim.task(id)?.createdAt ?? 0;
    env.clock.advance(6_000);
    env.sim.tasks();
    off();
    expect(seen).toEqual([
      { from: 'submitted', to: 'processing', at: start + 1_000 },
      { from: 'processing', to: 'succeeded', at: start + 6_000 },
    ]);
  });

  it('neverFinish keeps tasks processing forever', async () => {
    const stuck = await startSimulator({ now: env.clock.now, neverFinish: true });
    try {
      const id = (await api(stuck).post('/text-to-video/kling-2.6', newT2V())).json.data.id;
      env.clock.advance(24 * 60 * 60 * 1000);
      expect((await api(stuck).get(`/tasks?task_ids=${id}`)).json.data[0].status).toBe('processing');
    } finally {
      await stuck.close();
    }
  });

  it('runs on the wall env.clock by default (200 ms + 800 ms)', async () => {
    const real = await startSimulator();
    try {
      const id = (await api(real).post('/text-to-video/kling-2.6', newT2V())).json.data.id;
      const deadline = Date.now() + 5_000;
      let status = '';
      while (Date.now() < deadline && status !== 'succeeded') {
        status = (await api(real).get(`/tasks?task_ids=${id}`)).json.data[0].status;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe('succeeded');
      const task = real.task(id);
      expect((task?.finishedAt ?? 0) - (task?.createdAt ?? 0)).toBe(1_000);
    } finally {
      await real.close();
    }
  });
});
