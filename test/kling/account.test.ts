// The client's account endpoints against the simulator over HTTP: packs and remaining units (cached, QPS ≤ 1)
// and per-task deductions from the unit ledger, including failed tasks and tasks queried without `billing`.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KlingApiError, KlingClient, KlingValidationError, onlineUnits, type KlingTask } from '../../src/kling/index.js';
import { ManualClock, startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, golden hour, macro lens';
const clock = new ManualClock();
const SCHEDULE = { submittedMs: 1_000, processingMs: 4_000 };
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ now: clock.now, schedule: SCHEDULE, unitBalance: 100 });
});
afterAll(async () => sim?.close());
beforeEach(() => sim.reset());

const client = (s: Simulator = sim, extra: Partial<ConstructorParameters<typeof KlingClient>[0]> = {}) =>
  new KlingClient({ baseUrl: s.url, credentials: { apiKey: 'sim-api-key' }, now: clock.now, ...extra });
const costsRequests = (s: Simulator = sim) => s.requests.filter((r) => r.path === '/account/costs');

async function withSim(options: SimulatorOptions, fn: (s: Simulator) => Promise<void>): Promise<void> {
  const other = await startSimulator({ now: clock.now, schedule: SCHEDULE, ...options });
  try {
    await fn(other);
  } finally {
    await other.close();
  }
}

/** Creates a kling-2.6 task (1.5 units at 720p / 5 s, 5 units at 1080p / 10 s) and lets the clock finish it. */
async function generate(c: KlingClient, extra: Record<string, unknown> = {}): Promise<KlingTask> {
  const created = await c.createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5, ...extra });
  clock.advance(5_000);
  const task = await c.getTask({ standard: created.standard, kind: created.kind, taskId: created.taskId });
  if (!task) throw new Error('task not found');
  return task;
}

describe('getAccountCosts', () => {
  it('returns the packs with numeric total and remaining units; remaining falls once a task is charged', async () => {
    const c = client(sim, { accountCostsCacheTtlMs: 0 });
    const firstEnd = clock.now();
    const before = await c.getAccountCosts();
    expect(before.packs).toEqual([
      expect.objectContaining({
        name: 'Simulator-Video-Units',
        id: 'sim-video-pack',
        type: 'decreasing_total',
        totalUnits: 100,
        remainingUnits: 100,
        status: 'online',
      }),
    ]);
    expect(onlineUnits(before.packs)).toBe(100);
    await generate(c);
    const after = await c.getAccountCosts();
    expect(onlineUnits(after.packs)).toBe(98.5);
    // Both windows were sent as the required ms ints.
    const sent = costsRequests().map((r) => r.query);
    expect(sent.map((q) => q.end_time)).toEqual([String(firstEnd), String(clock.now())]);
    for (const q of sent) expect(Number(q.end_time) - Number(q.start_time)).toBe(365 * 24 * 60 * 60 * 1000);
  });

  it('caches per client for the TTL: one request for repeated and concurrent calls; a new one after the TTL', async () => {
    const c = client(sim, { accountCostsCacheTtlMs: 60_000 });
    const [a, b] = await Promise.all([c.getAccountCosts(), c.getAccountCosts()]);
    expect(await c.getAccountCosts()).toBe(a);
    expect(b).toBe(a);
    expect(costsRequests()).toHaveLength(1);
    clock.advance(60_001);
    const fresh = await c.getAccountCosts();
    expect(fresh).not.toBe(a);
    expect(fresh.fetchedAt).toBe(clock.now());
    expect(costsRequests()).toHaveLength(2);
    // A separate client has its own cache and its own spacing: within the same second the account's limit refuses
    // it (so a worker shares one client between its activities).
    await expect(client(sim).getAccountCosts()).rejects.toMatchObject({ code: 1302 });
    expect(costsRequests()).toHaveLength(3);
  });

  it('spaces requests ≥ 1 s apart, so the simulator’s QPS ≤ 1 limit never answers 1302', async () => {
    const c = client(sim, { accountCostsCacheTtlMs: 0 });
    await c.getAccountCosts();
    await c.getAccountCosts({ startTime: 0, endTime: clock.now() });
    const sent = costsRequests();
    expect(sent.map((r) => r.status)).toEqual([200, 200]);
    // Without the spacing the second call is refused (what an uncached, unspaced caller would get).
    const raw = await fetch(`${sim.url}/account/costs?start_time=0&end_time=${clock.now()}`, { headers: { authorization: 'Bearer sim-api-key' } });
    expect(raw.status).toBe(429);
    expect(((await raw.json()) as { code: number }).code).toBe(1302);
  });

  it('validates the window and surfaces Kling errors', async () => {
    const c = client();
    await expect(c.getAccountCosts({ startTime: 10, endTime: 5 })).rejects.toBeInstanceOf(KlingValidationError);
    await expect(c.getAccountCosts({ startTime: -1 })).rejects.toThrow(/startTime/);
    expect(costsRequests()).toHaveLength(0);
    const wrong = new KlingClient({ baseUrl: sim.url, credentials: { apiKey: 'wrong' } });
    await expect(wrong.getAccountCosts()).rejects.toBeInstanceOf(KlingApiError);
    expect(() => client(sim, { accountCostsCacheTtlMs: -1 })).toThrow(/accountCostsCacheTtlMs/);
  });

  it('works with AK/SK credentials only (JWT on the account routes)', async () => {
    const aksk = new KlingClient({ baseUrl: sim.url, credentials: { accessKey: 'sim-ak', secretKey: 'sim-sk' }, now: clock.now });
    expect(onlineUnits((await aksk.getAccountCosts()).packs)).toBe(100);
    expect(costsRequests()[0]?.authKind).toBe('jwt');
  });
});

describe('getTaskDeduction', () => {
  it('finds the units recorded for a succeeded task, equal to the task query’s deduction', async () => {
    const c = client();
    const task = await generate(c, { resolution: '1080p', duration: 10 });
    expect(task.unitsDeducted).toBe(5);
    const deduction = await c.getTaskDeduction(task.taskId, { startTime: task.createdAt });
    expect(deduction).toMatchObject({ taskId: task.taskId, units: 5 });
    expect(deduction?.records).toEqual([
      expect.objectContaining({ taskId: task.taskId, units: 5, packageId: 'sim-video-pack', productType: 'video', model: 'kling-2.6' }),
    ]);
    const ledgerCall = sim.requests.find((r) => r.path === '/account/billing/package');
    expect(ledgerCall?.body).toMatchObject({
      start_time: task.createdAt,
      end_time: clock.now(),
      limit: 500,
      filters: [{ key: 'product_type', values: ['video'] }],
    });
  });

  it('undefined for a task with no record (a failed task on the default simulator) and for an unknown id', async () => {
    const c = client();
    const failed = await generate(c, { prompt: `${PROMPT} [sim:fail moderation]` });
    expect(failed.status).toBe('failed');
    expect(failed.unitsDeducted).toBeUndefined();
    expect(await c.getTaskDeduction(failed.taskId)).toBeUndefined();
    expect(await c.getTaskDeduction('123456789012345678')).toBeUndefined();
    await expect(c.getTaskDeduction('')).rejects.toBeInstanceOf(KlingValidationError);
  });

  it('records what Kling deducts for a failed task when it does (failedTaskDeduction)', async () => {
    await withSim({ failedTaskDeduction: 0.7 }, async (s) => {
      const c = client(s);
      const failed = await generate(c, { prompt: `${PROMPT} [sim:fail gpu melted]` });
      expect(failed).toMatchObject({ status: 'failed', unitsDeducted: 0.7 });
      expect((await c.getTaskDeduction(failed.taskId))?.units).toBe(0.7);
    });
  });

  it('is the fallback when the new-standard query carries no billing (newTaskBilling: omit), with price skew', async () => {
    await withSim({ newTaskBilling: 'omit', priceSkew: 1.2 }, async (s) => {
      const c = client(s);
      const task = await generate(c);
      expect(task.status).toBe('succeeded');
      expect(task.unitsDeducted).toBeUndefined();
      expect((await c.getTaskDeduction(task.taskId, { startTime: task.createdAt }))?.units).toBe(1.8);
    });
  });

  it('pages through the ledger with the cursor (more than 500 records) to find an old task', async () => {
    await withSim({ concurrency: { limit: 1_000 }, unitBalance: 10_000 }, async (s) => {
      const c = client(s);
      const first = await generate(c);
      for (let i = 0; i < 501; i += 1) await c.createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 });
      clock.advance(5_000);
      expect(s.deductions()).toHaveLength(502);
      const found = await c.getTaskDeduction(first.taskId, { startTime: first.createdAt });
      expect(found?.units).toBe(1.5);
      const pages = s.requests.filter((r) => r.path === '/account/billing/package');
      expect(pages).toHaveLength(2);
      expect(pages[1]?.body).toEqual({ cursor: expect.any(String) });
      // With one page allowed the oldest record is out of reach.
      expect(await c.getTaskDeduction(first.taskId, { startTime: first.createdAt, maxPages: 1 })).toBeUndefined();
    });
  });
});
