// Money on the simulator: failed-task deductions, price skew, the new standard without `billing`, the unit
// ledger `POST /account/billing/package` and `GET /account/costs` (rate limit, lagging remaining quantity).
import { describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { api, errorOf, legacyT2V, newT2V, signJwt, useSimulator } from './helpers.js';

const SCHEDULE = { submittedMs: 1_000, processingMs: 4_000 };
const env = useSimulator({ schedule: SCHEDULE });

/** A simulator with extra options, closed after `fn`. */
async function withSim(options: SimulatorOptions, fn: (s: Simulator) => Promise<void>): Promise<void> {
  const other = await startSimulator({ now: env.clock.now, schedule: SCHEDULE, ...options });
  try {
    await fn(other);
  } finally {
    await other.close();
  }
}

const window = () => ({ start_time: 0, end_time: env.clock.now() + 1 });
const ledger = (s: Simulator, body: Record<string, unknown> = window(), auth?: string) =>
  auth === undefined ? api(s).post('/account/billing/package', body) : api(s).post('/account/billing/package', body, auth);

async function createNew(s: Simulator, body = newT2V(), model = 'kling-2.6'): Promise<string> {
  const created = await api(s).post(`/text-to-video/${model}`, body);
  expect(created.status, JSON.stringify(created.json)).toBe(200);
  return created.json.data.id as string;
}

async function createLegacy(s: Simulator, body = legacyT2V()): Promise<string> {
  const created = await api(s).post('/v1/videos/text2video', body);
  expect(created.status, JSON.stringify(created.json)).toBe(200);
  return created.json.data.task_id as string;
}

describe('failed tasks (REF §6.3, NEW §7.1)', () => {
  it('by default a failed task deducts nothing and reports no deduction on either standard', async () => {
    env.sim.failNext('moderation');
    env.sim.failNext('moderation');
    const newId = await createNew(env.sim);
    const legacyId = await createLegacy(env.sim);
    env.clock.advance(5_000);
    const [task] = (await api(env.sim).get(`/tasks?task_ids=${newId}`)).json.data;
    expect(task).toMatchObject({ status: 'failed', message: 'moderation' });
    expect(task).not.toHaveProperty('billing');
    const legacy = (await api(env.sim).get(`/v1/videos/text2video/${legacyId}`)).json.data;
    expect(legacy.task_status).toBe('failed');
    expect(legacy).not.toHaveProperty('final_unit_deduction');
    expect(env.sim.balance().spentUnits).toBe(0);
    expect(env.sim.deductions()).toEqual([]);
    expect((await ledger(env.sim)).json.data).toEqual({ result: { detail: [], count: 0 }, has_more: false });
  });

  it('failedTaskDeduction: a number is deducted, reported as a string and recorded in the ledger', async () => {
    await withSim({ failedTaskDeduction: 0.5, unitBalance: 100 }, async (s) => {
      s.failNext('gpu melted');
      s.failNext('gpu melted');
      const newId = await createNew(s);
      const legacyId = await createLegacy(s);
      env.clock.advance(5_000);
      const [task] = (await api(s).get(`/tasks?task_ids=${newId}`)).json.data;
      expect(task.status).toBe('failed');
      expect(task.outputs).toEqual([]);
      expect(task.billing).toEqual([{ charge_type: 'unit', amount: '0.5', package_type: 'video' }]);
      expect((await api(s).get(`/v1/videos/text2video/${legacyId}`)).json.data.final_unit_deduction).toBe('0.5');
      expect(s.balance()).toEqual({ totalUnits: 100, spentUnits: 1, remainingUnits: 99 });
      expect(s.deductions().map((d) => [d.taskId, d.status, d.deductionAmount])).toEqual([
        [newId, 'failed', 0.5],
        [legacyId, 'failed', 0.5],
      ]);
      const details = (await ledger(s)).json.data.result.detail as { task_id: string; deduction_amount: number }[];
      expect(details.map((d) => [d.task_id, d.deduction_amount])).toEqual([
        [legacyId, 0.5],
        [newId, 0.5],
      ]);
    });
  });

  it('failedTaskDeduction: 0 is reported as "0" (a reported zero, unlike the default silence)', async () => {
    await withSim({ failedTaskDeduction: 0 }, async (s) => {
      s.failNext('x');
      const id = await createNew(s);
      env.clock.advance(5_000);
      expect((await api(s).get(`/tasks?task_ids=${id}`)).json.data[0].billing).toEqual([{ charge_type: 'unit', amount: '0', package_type: 'video' }]);
      expect(s.deductions()).toHaveLength(1);
    });
  });

  it("failedTaskDeduction: 'full' deducts the task's price; a forced failure is charged too", async () => {
    await withSim({ failedTaskDeduction: 'full' }, async (s) => {
      const id = await createNew(s, newT2V({ settings: { duration: 10, resolution: '1080p' } }));
      s.failTask(id, 'forced');
      expect(s.task(id)).toMatchObject({ status: 'failed', units: 5, chargedUnits: 5 });
      expect(s.balance().spentUnits).toBe(5);
    });
  });
});

describe('priceSkew', () => {
  it('multiplies what is reserved, charged, reported and recorded', async () => {
    await withSim({ priceSkew: 2, unitBalance: 10 }, async (s) => {
      const id = await createNew(s); // kling-2.6 720p 5 s: 1.5 units in the table
      expect(s.task(id)?.units).toBe(3);
      const legacyId = await createLegacy(s, legacyT2V({ model_name: 'kling-v1-6', mode: 'pro' })); // 3.5 → 7
      expect(errorOf(await api(s).post('/text-to-video/kling-2.6', newT2V()))).toMatchObject({ status: 429, code: 1102 }); // 3 + 7 reserved of 10
      env.clock.advance(5_000);
      expect((await api(s).get(`/tasks?task_ids=${id}`)).json.data[0].billing[0].amount).toBe('3');
      expect((await api(s).get(`/v1/videos/text2video/${legacyId}`)).json.data.final_unit_deduction).toBe('7');
      expect(s.deductions().map((d) => d.deductionAmount)).toEqual([3, 7]);
    });
  });

  it('applies after priceOverride and must be positive', async () => {
    await withSim({ priceSkew: 1.1, priceOverride: () => 10 }, async (s) => {
      expect(s.task(await createNew(s))?.units).toBe(11);
    });
    await expect(startSimulator({ priceSkew: 0 })).rejects.toThrow(/priceSkew/);
  });
});

describe("newTaskBilling: 'omit'", () => {
  it('GET and POST /tasks carry no billing; the ledger still has the deduction; legacy is unchanged', async () => {
    await withSim({ newTaskBilling: 'omit' }, async (s) => {
      const id = await createNew(s);
      const legacyId = await createLegacy(s);
      env.clock.advance(5_000);
      const [task] = (await api(s).get(`/tasks?task_ids=${id}`)).json.data;
      expect(task.status).toBe('succeeded');
      expect(task.outputs).toHaveLength(1);
      expect(task).not.toHaveProperty('billing');
      const listed = (await api(s).post('/tasks', {})).json.data.result as Record<string, unknown>[];
      expect(listed).toHaveLength(2);
      for (const item of listed) expect(item).not.toHaveProperty('billing');
      expect((await api(s).get(`/v1/videos/text2video/${legacyId}`)).json.data.final_unit_deduction).toBe('1.5');
      const details = (await ledger(s)).json.data.result.detail as { task_id: string; deduction_amount: number }[];
      expect(details.find((d) => d.task_id === id)?.deduction_amount).toBe(1.5);
    });
  });
});

describe('POST /account/billing/package (NEW §7.2)', () => {
  it('lists one detail per deduction with the documented fields and types, newest first', async () => {
    const t2v = await createNew(env.sim, newT2V({ settings: { duration: 5, resolution: '1080p', audio: 'native' } }));
    env.clock.advance(5_000);
    const i2v = await api(env.sim).post('/image-to-video/kling-2.5-turbo', {
      contents: [{ type: 'first_frame', url: 'https://example.com/a.png' }],
      settings: { duration: 10 },
    });
    expect(i2v.status).toBe(200);
    env.clock.advance(5_000);
    const result = await ledger(env.sim);
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ code: 0, message: 'SUCCEED' });
    const data = result.json.data;
    expect(data).toEqual({ result: { detail: expect.any(Array), count: 2 }, has_more: false });
    const [latest, first] = data.result.detail;
    expect(latest).toMatchObject({
      task_id: i2v.json.data.id,
      product_function: 'Image to Video',
      model_name: 'kling-2.5-turbo',
      deduction_amount: 3,
    });
    expect(first).toEqual({
      task_id: t2v,
      api_key_name: 'api-key-1',
      product_function: 'Text to Video',
      model_name: 'kling-2.6',
      resolution: '1080p',
      duration: '5.041',
      refer_video_input: false,
      video_sound: 'native',
      voice_control: false,
      deduction_time: String(env.sim.task(t2v)?.finishedAt),
      package_id: 'sim-video-pack',
      product_type: 'video',
      unit_before_deduction: 1_000_000,
      deduction_amount: 5,
      unit_after_deduction: 999_995,
    });
    expect(latest.unit_before_deduction).toBe(999_995);
    expect(latest.unit_after_deduction).toBe(999_992);
  });

  it('start_time and end_time are required when cursor is empty; the window must be ordered', async () => {
    expect(errorOf(await ledger(env.sim, {}))).toEqual({ status: 400, code: 1201, message: 'start_time is required when cursor is empty' });
    expect(errorOf(await ledger(env.sim, { start_time: 0 }))).toEqual({
      status: 400,
      code: 1201,
      message: 'end_time is required when cursor is empty',
    });
    expect(errorOf(await ledger(env.sim, { start_time: 10, end_time: 5 }))).toMatchObject({
      status: 400,
      code: 1201,
      message: 'start_time must be earlier than end_time',
    });
    expect((await ledger(env.sim, { start_time: '0', end_time: String(env.clock.now()) })).status).toBe(200);
  });

  it('limit is 1–500; unknown filter keys, bad product types and package_name with package_id → 1201', async () => {
    expect(errorOf(await ledger(env.sim, { ...window(), limit: 501 }))).toMatchObject({
      status: 400,
      code: 1201,
      message: expect.stringContaining('limit'),
    });
    expect(errorOf(await ledger(env.sim, { ...window(), limit: 0 }))).toMatchObject({ code: 1201 });
    expect(errorOf(await ledger(env.sim, { ...window(), filters: [{ key: 'task_id', values: ['1'] }] }))).toMatchObject({
      code: 1201,
      message: expect.stringContaining('filters[0].key'),
    });
    expect(errorOf(await ledger(env.sim, { ...window(), filters: [{ key: 'product_type', values: ['try_on'] }] }))).toMatchObject({
      code: 1201,
      message: expect.stringContaining('try-on'),
    });
    const both = await ledger(env.sim, {
      ...window(),
      filters: [
        { key: 'package_name', values: ['a'] },
        { key: 'package_id', values: ['b'] },
      ],
    });
    expect(errorOf(both)).toMatchObject({ code: 1201, message: 'filters package_name and package_id cannot be used together' });
    expect(errorOf(await ledger(env.sim, { ...window(), page: 1 }))).toMatchObject({ code: 1201, message: expect.stringContaining("'page'") });
  });

  it('pages with a cursor that overrides the other parameters, without gaps or repeats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push(await createNew(env.sim));
      env.clock.advance(5_000);
    }
    const seen: string[] = [];
    let page = await ledger(env.sim, { ...window(), limit: 2 });
    for (;;) {
      const data = page.json.data;
      expect(data.result.count).toBe(data.result.detail.length);
      seen.push(...data.result.detail.map((d: { task_id: string }) => d.task_id));
      if (!data.has_more) {
        expect(data).not.toHaveProperty('next_cursor');
        break;
      }
      expect(data.result.detail).toHaveLength(2);
      // The cursor wins over a body that would otherwise be refused.
      page = await ledger(env.sim, { cursor: data.next_cursor, start_time: 99, end_time: 1 });
    }
    expect(seen).toEqual([...ids].reverse());
    expect(errorOf(await ledger(env.sim, { cursor: 'not-a-cursor' }))).toMatchObject({ code: 1201, message: expect.stringContaining('cursor') });
  });

  it('filters: the window, api_key_name (API key or access key), product_type, package_id; same key ORed, keys ANDed', async () => {
    const byKey = await createNew(env.sim);
    const jwt = await signJwt({ nowMs: env.clock.now() });
    const byJwt = (await api(env.sim, jwt).post('/v1/videos/text2video', legacyT2V())).json.data.task_id as string;
    env.clock.advance(5_000);
    const ids = async (body: Record<string, unknown>, auth?: string) =>
      ((await ledger(env.sim, { ...window(), ...body }, auth)).json.data.result.detail as { task_id: string }[]).map((d) => d.task_id).sort();
    expect(await ids({ filters: [{ key: 'api_key_name', values: ['api-key-1'] }] })).toEqual([byKey]);
    expect(await ids({ filters: [{ key: 'api_key_name', values: ['sim-ak'] }] })).toEqual([byJwt]);
    expect(
      await ids({
        filters: [
          { key: 'api_key_name', values: ['api-key-1'] },
          { key: 'api_key_name', values: ['sim-ak'] },
        ],
      }),
    ).toEqual([byKey, byJwt].sort());
    expect(
      await ids({
        filters: [
          { key: 'api_key_name', values: ['api-key-1'] },
          { key: 'product_type', values: ['image'] },
        ],
      }),
    ).toEqual([]);
    expect(
      await ids({
        filters: [
          { key: 'product_type', values: ['video'] },
          { key: 'package_id', values: ['sim-video-pack'] },
        ],
      }),
    ).toEqual([byKey, byJwt].sort());
    expect(await ids({ filters: [{ key: 'package_name', values: ['Other pack'] }] })).toEqual([]);
    expect(await ids({ start_time: env.clock.now() + 1, end_time: env.clock.now() + 2 })).toEqual([]);
    // The account routes take an API key or an AK/SK JWT (REF §2), like /account/costs.
    expect(await ids({}, await signJwt({ nowMs: env.clock.now() }))).toEqual([byKey, byJwt].sort());
    expect(errorOf(await ledger(env.sim, window(), 'wrong-key'))).toMatchObject({ status: 401 });
  });
});

describe('GET /account/costs (NEW §7.2)', () => {
  const costs = (s: Simulator, query = `start_time=0&end_time=${env.clock.now()}`) => api(s).get(`/account/costs?${query}`);

  it('requires both start_time and end_time', async () => {
    await withSim({ accountCostsQps: null }, async (s) => {
      expect(errorOf(await costs(s, 'start_time=0'))).toMatchObject({ status: 400, code: 1201, message: expect.stringContaining('end_time') });
      expect(errorOf(await costs(s, 'end_time=5'))).toMatchObject({ status: 400, code: 1201, message: expect.stringContaining('start_time') });
      expect(errorOf(await costs(s, 'start_time=abc&end_time=5'))).toMatchObject({ status: 400, code: 1201 });
    });
  });

  it('QPS ≤ 1 by default: a second call within a second → 429/1302; reset() clears the limiter', async () => {
    expect((await costs(env.sim)).status).toBe(200);
    expect(errorOf(await costs(env.sim))).toMatchObject({ status: 429, code: 1302 });
    env.sim.reset();
    expect((await costs(env.sim)).status).toBe(200);
  });

  it('accountCostsQps sets the limit; null turns it off', async () => {
    await withSim({ accountCostsQps: 3 }, async (s) => {
      for (let i = 0; i < 3; i += 1) expect((await costs(s)).status).toBe(200);
      expect(errorOf(await costs(s))).toMatchObject({ status: 429, code: 1302 });
    });
    await withSim({ accountCostsQps: null }, async (s) => {
      for (let i = 0; i < 10; i += 1) expect((await costs(s)).status).toBe(200);
    });
  });

  it('reports total and remaining units (numbers) and the pack fields; remaining can lag deductions', async () => {
    await withSim({ unitBalance: 20, remainingQuantityLagMs: 12 * 60 * 60 * 1000, accountCostsQps: null }, async (s) => {
      await createNew(s);
      env.clock.advance(5_000);
      expect(s.balance().remainingUnits).toBe(18.5);
      const [pack] = (await costs(s)).json.data.resource_pack_subscribe_infos;
      expect(pack).toMatchObject({
        resource_pack_name: 'Simulator-Video-Units',
        resource_pack_id: 'sim-video-pack',
        resource_pack_type: 'decreasing_total',
        total_quantity: 20,
        remaining_quantity: 20, // the deduction is not in the statistics yet
        status: 'online',
      });
      expect(typeof pack.purchase_time).toBe('number');
      env.clock.advance(12 * 60 * 60 * 1000);
      expect((await costs(s)).json.data.resource_pack_subscribe_infos[0].remaining_quantity).toBe(18.5);
    });
  });
});
