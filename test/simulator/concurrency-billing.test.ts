import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { api, errorOf, legacyT2V, newT2V, useSimulator } from './helpers.js';

const env = useSimulator({ schedule: { submittedMs: 1_000, processingMs: 4_000 } });

const create = (body = newT2V()) => api(env.sim).post('/text-to-video/kling-2.6', body);

describe('concurrency (NEW §6, REF §6.1)', () => {
  it('the 6th concurrent create → 429 with the exact 1303 body; no task is created', async () => {
    for (let i = 0; i < 5; i += 1) expect((await create()).status).toBe(200);
    const refused = await create(newT2V({ options: { external_task_id: 'refused' } }));
    expect(refused.status).toBe(429);
    expect(Object.keys(refused.json).sort()).toEqual(['code', 'message', 'request_id']);
    expect(refused.json).toMatchObject({ code: 1303, message: 'parallel task over resource pack limit' });
    expect(env.sim.tasks()).toHaveLength(5);
    expect(env.sim.tasks().some((t) => t.externalTaskId === 'refused')).toBe(false);
  });

  it('queries are never limited', async () => {
    for (let i = 0; i < 5; i += 1) await create();
    for (let i = 0; i < 10; i += 1) expect((await api(env.sim).get('/tasks?task_ids=1')).status).toBe(200);
    expect((await api(env.sim).post('/tasks', {})).status).toBe(200);
  });

  it('a slot is held while processing and freed once the task is terminal (success or failure)', async () => {
    env.sim.failNext('boom');
    for (let i = 0; i < 5; i += 1) await create();
    env.clock.advance(1_000); // processing still holds the slot
    expect((await create()).status).toBe(429);
    env.clock.advance(4_000); // all five terminal: one failed, four succeeded
    expect(
      env.sim
        .tasks()
        .map((t) => t.status)
        .sort(),
    ).toEqual(['failed', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    for (let i = 0; i < 5; i += 1) expect((await create()).status).toBe(200);
  });

  it('forced completion frees a slot at once', async () => {
    for (let i = 0; i < 5; i += 1) await create();
    const first = env.sim.tasks()[0];
    if (first === undefined) throw new Error('no task');
    env.sim.completeTask(first.id);
    expect((await create()).status).toBe(200);
  });

  it('"model" buckets count per model id; legacy and new ids are separate', async () => {
    for (let i = 0; i < 5; i += 1) await create();
    expect((await api(env.sim).post('/text-to-video/kling-2.5-turbo', newT2V())).status).toBe(200);
    expect((await api(env.sim).post('/v1/videos/text2video', legacyT2V())).status).toBe(200);
  });

  it('"packType" buckets count every video task together, with a configurable limit', async () => {
    const shared = await startSimulator({ now: env.clock.now, concurrency: { limit: 2, bucket: 'packType' } });
    try {
      expect((await api(shared).post('/text-to-video/kling-2.6', newT2V())).status).toBe(200);
      expect((await api(shared).post('/v1/videos/text2video', legacyT2V())).status).toBe(200);
      expect(errorOf(await api(shared).post('/text-to-video/kling-3.0', newT2V()))).toMatchObject({ status: 429, code: 1303 });
    } finally {
      await shared.close();
    }
  });
});

describe('billing (REF §6.3, NEW §7.1)', () => {
  it('charges on success only, as a string amount', async () => {
    const ok = (await create(newT2V({ settings: { duration: 10, resolution: '1080p' } }))).json.data.id;
    env.sim.failNext('nope');
    const failed = (await create()).json.data.id;
    env.clock.advance(5_000);
    const [okTask, failedTask] = (await api(env.sim).get(`/tasks?task_ids=${ok},${failed}`)).json.data;
    expect(okTask.billing).toEqual([{ charge_type: 'unit', amount: '5', package_type: 'video' }]); // 0.5/s × 10 s
    expect(failedTask.billing).toBeUndefined();
    expect(env.sim.balance()).toMatchObject({ spentUnits: 5 });
  });

  it('uses the unit table per model, mode, duration and audio', async () => {
    const cases: Array<[string, Record<string, unknown>, number]> = [
      ['/v1/videos/text2video', legacyT2V({ model_name: 'kling-v1-6', mode: 'pro', duration: '10' }), 7],
      ['/v1/videos/text2video', legacyT2V({ model_name: 'kling-v2-master' }), 10],
      ['/v1/videos/text2video', legacyT2V({ model_name: 'kling-v2-5-turbo', mode: 'pro' }), 2.5],
      ['/v1/videos/text2video', legacyT2V({ model_name: 'kling-v3', mode: 'pro', sound: 'on', duration: '10' }), 12],
      ['/text-to-video/kling-3.0', newT2V({ settings: { duration: 3, audio: 'off' } }), 1.8],
      ['/text-to-video/kling-3.0', newT2V({ settings: { duration: 5, resolution: '4k' } }), 15],
      ['/text-to-video/kling-3.0-turbo', newT2V({ settings: { duration: 5, resolution: '1080p' } }), 5],
      ['/text-to-video/kling-2.5-turbo', newT2V({ settings: { duration: 5 } }), 1.5],
    ];
    for (const [path, body, units] of cases) {
      const created = await api(env.sim).post(path, body);
      expect(created.status).toBe(200);
      const id = created.json.data.task_id ?? created.json.data.id;
      expect(env.sim.task(id)?.units).toBe(units);
    }
  });

  it('legacy final_unit_deduction is a string', async () => {
    const id = (await api(env.sim).post('/v1/videos/text2video', legacyT2V({ model_name: 'kling-v1-6', mode: 'pro' }))).json.data.task_id;
    env.clock.advance(5_000);
    expect((await api(env.sim).get(`/v1/videos/text2video/${id}`)).json.data.final_unit_deduction).toBe('3.5');
  });

  it('an exhausted pack → 429/1102 "Account balance not enough", counting in-flight tasks; no task created', async () => {
    const poor = await startSimulator({ now: env.clock.now, unitBalance: 3, schedule: { submittedMs: 1_000, processingMs: 4_000 } });
    try {
      expect((await api(poor).post('/text-to-video/kling-2.6', newT2V())).status).toBe(200); // 1.5 reserved
      expect((await api(poor).post('/text-to-video/kling-2.6', newT2V())).status).toBe(200); // 3.0 reserved
      const refused = await api(poor).post('/text-to-video/kling-2.6', newT2V());
      expect(errorOf(refused)).toEqual({ status: 429, code: 1102, message: 'Account balance not enough' });
      expect(poor.tasks()).toHaveLength(2);
      env.clock.advance(5_000);
      expect(poor.balance()).toEqual({ totalUnits: 3, spentUnits: 3, remainingUnits: 0 });
      const costs = await api(poor).get(`/account/costs?start_time=0&end_time=${env.clock.now()}`);
      expect(costs.json.data.resource_pack_subscribe_infos[0]).toMatchObject({ total_quantity: 3, remaining_quantity: 0, status: 'runOut' });
    } finally {
      await poor.close();
    }
  });

  it('a failed task releases its reservation', async () => {
    const poor = await startSimulator({ now: env.clock.now, unitBalance: 1.5 });
    try {
      poor.failNext('x');
      expect((await api(poor).post('/text-to-video/kling-2.6', newT2V())).status).toBe(200);
      expect((await api(poor).post('/text-to-video/kling-2.6', newT2V())).status).toBe(429);
      env.clock.advance(2_000);
      expect((await api(poor).post('/text-to-video/kling-2.6', newT2V())).status).toBe(200);
    } finally {
      await poor.close();
    }
  });

  it('priceOverride replaces the built-in price', async () => {
    const custom = await startSimulator({ now: env.clock.now, priceOverride: (spec) => (spec.model === 'kling-2.6' ? 42 : undefined) });
    try {
      const id = (await api(custom).post('/text-to-video/kling-2.6', newT2V())).json.data.id;
      expect(custom.task(id)?.units).toBe(42);
    } finally {
      await custom.close();
    }
  });

  it('/account/costs requires start_time and end_time', async () => {
    expect(errorOf(await api(env.sim).get('/account/costs?start_time=0'))).toMatchObject({ status: 400, code: 1201 });
  });
});
