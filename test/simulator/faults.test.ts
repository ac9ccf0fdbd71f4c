import { describe, expect, it } from 'vitest';
import { startSimulator, type FaultInput, type Simulator } from '../../src/simulator/index.js';
import { api, errorOf, newT2V, useSimulator } from './helpers.js';

const env = useSimulator({ videoSizeBytes: 10_000 });

const create = (target: Simulator = env.sim) => api(target).post('/text-to-video/kling-2.6', newT2V());
const rawCreate = (init: RequestInit = {}) =>
  fetch(`${env.sim.url}/text-to-video/kling-2.6`, {
    method: 'POST',
    headers: { authorization: 'Bearer sim-api-key', 'content-type': 'application/json' },
    body: JSON.stringify(newT2V()),
    ...init,
  });

async function videoUrl(): Promise<{ id: string; url: string }> {
  const id = (await create()).json.data.id as string;
  env.sim.completeTask(id);
  return { id, url: (await api(env.sim).get(`/tasks?task_ids=${id}`)).json.data[0].outputs[0].url as string };
}

const waitFor = async (condition: () => boolean, timeoutMs = 2_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('error faults', () => {
  it.each([
    ['http-5000', 500, 5000],
    ['http-5001', 503, 5001],
    ['http-5002', 504, 5002],
    ['rate-limit-1302', 429, 1302],
    ['concurrency-1303', 429, 1303],
    ['token-expired-1004', 401, 1004],
  ] as const)('%s answers %i/%i before processing: no task is created', async (kind, status, code) => {
    env.sim.faults.script([{ kind, route: 'create' }]);
    const result = await create();
    expect(errorOf(result)).toMatchObject({ status, code });
    expect(result.json.data).toBeUndefined();
    expect(env.sim.tasks()).toHaveLength(0);
    expect(env.sim.requests.at(-1)).toMatchObject({ fault: kind, status, code });
    expect((await create()).status).toBe(200);
  });

  it('the 1303 fault uses the official message', async () => {
    env.sim.faults.script([{ kind: 'concurrency-1303' }]);
    expect((await create()).json.message).toBe('parallel task over resource pack limit');
  });

  it('afterProcessing: a 504/5002 whose create did happen', async () => {
    env.sim.faults.script([{ kind: 'http-5002', route: 'create', afterProcessing: true }]);
    expect(errorOf(await create())).toMatchObject({ status: 504, code: 5002 });
    expect(env.sim.tasks()).toHaveLength(1);
  });

  it('a custom error fault', async () => {
    env.sim.faults.script([{ kind: 'error', status: 429, code: 1102, message: 'Account balance not enough' }]);
    expect(errorOf(await create())).toEqual({ status: 429, code: 1102, message: 'Account balance not enough' });
  });
});

describe('filters, counts and pass-through', () => {
  it('route filters: a query fault does not hit creates or downloads', async () => {
    env.sim.faults.script([{ kind: 'http-5000', route: 'query' }]);
    const id = (await create()).json.data.id as string;
    expect(env.sim.faults.pending()).toBe(1);
    env.sim.completeTask(id);
    expect(errorOf(await api(env.sim).get(`/tasks?task_ids=${id}`))).toMatchObject({ status: 500, code: 5000 });
    const url = (await api(env.sim).get(`/tasks?task_ids=${id}`)).json.data[0].outputs[0].url as string;
    expect((await fetch(url)).status).toBe(200);
  });

  it('route filters select the matching request kind', async () => {
    env.sim.faults.script([{ kind: 'http-5001', route: 'download' }]);
    const id = (await create()).json.data.id as string;
    env.sim.completeTask(id);
    const query = await api(env.sim).get(`/tasks?task_ids=${id}`);
    expect(query.status).toBe(200);
    const url = query.json.data[0].outputs[0].url as string;
    expect((await fetch(url)).status).toBe(503);
    expect((await fetch(url)).status).toBe(200);
  });

  it('standard filters', async () => {
    env.sim.faults.script([{ kind: 'http-5000', standard: 'legacy' }]);
    expect((await create()).status).toBe(200);
    expect((await api(env.sim).get('/v1/videos/text2video')).status).toBe(500);
  });

  it('times, pass and pending()', async () => {
    env.sim.faults.script([{ kind: 'pass' }, { kind: 'http-5000', times: 2 }]);
    expect(env.sim.faults.pending()).toBe(3);
    expect((await create()).status).toBe(200);
    expect((await create()).status).toBe(500);
    expect((await create()).status).toBe(500);
    expect((await create()).status).toBe(200);
    expect(env.sim.faults.pending()).toBe(0);
  });

  it('rejects malformed fault specs', () => {
    expect(() => env.sim.faults.script([{ kind: 'meltdown' } as unknown as FaultInput])).toThrow();
    expect(() => env.sim.faults.rate({ probability: 2, faults: [{ kind: 'http-5000' }] })).toThrow();
  });

  it('rate(): random faults from a seeded PRNG are reproducible', async () => {
    const statuses = async (target: Simulator) => {
      target.faults.rate({ probability: 0.5, faults: [{ kind: 'http-5000' }, { kind: 'http-5001' }], route: 'query', seed: 7 });
      const out: number[] = [];
      for (let i = 0; i < 20; i += 1) out.push((await api(target).get('/tasks?task_ids=1')).status);
      return out;
    };
    const a = await startSimulator();
    const b = await startSimulator();
    try {
      const first = await statuses(a);
      expect(first).toEqual(await statuses(b));
      expect(new Set(first)).toEqual(new Set([200, 500, 503]));
      expect((await create(a)).status).toBe(200); // creates are not covered by the query rule
      a.faults.clear();
      expect((await api(a).get('/tasks?task_ids=1')).status).toBe(200);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('connection faults', () => {
  it('connection-reset destroys the socket before processing', async () => {
    env.sim.faults.script([{ kind: 'connection-reset', route: 'create' }]);
    await expect(rawCreate()).rejects.toThrow();
    expect(env.sim.tasks()).toHaveLength(0);
    expect(env.sim.requests.at(-1)).toMatchObject({ fault: 'connection-reset', status: null });
  });

  it('slow-response delays the headers', async () => {
    env.sim.faults.script([{ kind: 'slow-response', delayMs: 300 }]);
    const started = Date.now();
    expect((await create()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('slow-response: a client that gives up first leaves no task behind', async () => {
    env.sim.faults.script([{ kind: 'slow-response', delayMs: 400, route: 'create' }]);
    await expect(rawCreate({ signal: AbortSignal.timeout(100) })).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(env.sim.tasks()).toHaveLength(0);
  });

  it('slow-body trickles an intact body', async () => {
    const { id, url } = await videoUrl();
    env.sim.faults.script([{ kind: 'slow-body', route: 'download', chunkBytes: 2_000, intervalMs: 100 }]);
    const started = Date.now();
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(bytes.equals(env.sim.videoBytes(id))).toBe(true);
  });

  it('truncated-body promises the full Content-Length, then closes early', async () => {
    const { url } = await videoUrl();
    env.sim.faults.script([{ kind: 'truncated-body', route: 'download', sendBytes: 4_000 }]);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('10000');
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect((await fetch(url)).status).toBe(200);
  });

  it('expired answers a download as an expired URL would', async () => {
    const { url } = await videoUrl();
    env.sim.faults.script([{ kind: 'expired', route: 'download' }]);
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url)).status).toBe(200);
  });
});

describe('accepted-but-unanswered creates', () => {
  it('accept-then-delay: the task exists before the late answer arrives', async () => {
    env.sim.faults.script([{ kind: 'accept-then-delay', delayMs: 400 }]);
    const pending = create();
    await waitFor(() => env.sim.tasks().length === 1);
    const result = await pending;
    expect(result.status).toBe(200);
    expect(result.json.data.id).toBe(env.sim.tasks()[0]?.id);
  });

  it('accept-then-hang: the task exists, the answer never comes', async () => {
    env.sim.faults.script([{ kind: 'accept-then-hang' }]);
    await expect(rawCreate({ signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(env.sim.tasks()).toHaveLength(1);
    expect(env.sim.requests.at(-1)).toMatchObject({ fault: 'accept-then-hang', status: null, createdTaskId: env.sim.tasks()[0]?.id });
  });

  it('accept-then-reset: the task exists, the socket is destroyed', async () => {
    env.sim.faults.script([{ kind: 'accept-then-reset' }]);
    await expect(rawCreate()).rejects.toThrow();
    expect(env.sim.tasks()).toHaveLength(1);
  });

  it('accept-then-* only applies to creates', async () => {
    env.sim.faults.script([{ kind: 'accept-then-hang' }]);
    expect((await api(env.sim).get('/tasks?task_ids=1')).status).toBe(200);
    expect(env.sim.faults.pending()).toBe(1);
  });

  it('close() returns promptly even with a hung request in flight', async () => {
    const local = await startSimulator();
    local.faults.script([{ kind: 'accept-then-hang' }]);
    const hung = fetch(`${local.url}/text-to-video/kling-2.6`, {
      method: 'POST',
      headers: { authorization: 'Bearer sim-api-key', 'content-type': 'application/json' },
      body: JSON.stringify(newT2V()),
    });
    const settled = hung.then(
      () => 'resolved',
      () => 'rejected',
    );
    await waitFor(() => local.tasks().length === 1);
    const started = Date.now();
    await local.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await settled).toBe('rejected');
  });
});
