import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { api, errorOf, legacyI2V, legacyT2V, newT2V, useSimulator } from './helpers.js';

const env = useSimulator({ concurrency: { limit: 100 } });

describe('duplicate external_task_id (NEW §5)', () => {
  it('legacy: 400/1201 "External_task_id <id> already exists", no second task', async () => {
    expect((await api(env.sim).post('/v1/videos/text2video', legacyT2V({ external_task_id: 'dup-1' }))).status).toBe(200);
    const again = await api(env.sim).post('/v1/videos/text2video', legacyT2V({ external_task_id: 'dup-1' }));
    expect(errorOf(again)).toEqual({ status: 400, code: 1201, message: 'External_task_id dup-1 already exists' });
    expect(env.sim.tasks()).toHaveLength(1);
    expect(env.sim.tasks()[0]?.createRequestCount).toBe(2);
  });

  it('new standard: the same answer, and the id space is shared across standards and products', async () => {
    await api(env.sim).post('/text-to-video/kling-2.6', newT2V({ options: { external_task_id: 'dup-2' } }));
    const again = await api(env.sim).post('/text-to-video/kling-2.6', newT2V({ options: { external_task_id: 'dup-2' } }));
    expect(errorOf(again)).toEqual({ status: 400, code: 1201, message: 'External_task_id dup-2 already exists' });
    const legacy = await api(env.sim).post('/v1/videos/image2video', legacyI2V({ external_task_id: 'dup-2' }));
    expect(errorOf(legacy)).toMatchObject({ status: 400, code: 1201 });
    expect(env.sim.tasks()).toHaveLength(1);
  });

  it('a refused duplicate charges nothing even after the original succeeded', async () => {
    await api(env.sim).post('/text-to-video/kling-2.6', newT2V({ options: { external_task_id: 'dup-3' } }));
    env.clock.advance(10_000);
    const spent = env.sim.balance().spentUnits;
    await api(env.sim).post('/text-to-video/kling-2.6', newT2V({ options: { external_task_id: 'dup-3' } }));
    env.clock.advance(10_000);
    expect(env.sim.balance().spentUnits).toBe(spent);
  });
});

describe('GET /tasks (NEW §3.6)', () => {
  it('more than 20 ids in total → 400/1201; exactly 20 is fine', async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => String(900000000000000000 + i)).join(',');
    expect((await api(env.sim).get(`/tasks?task_ids=${ids(20)}`)).status).toBe(200);
    expect(errorOf(await api(env.sim).get(`/tasks?task_ids=${ids(21)}`))).toEqual({
      status: 400,
      code: 1201,
      message: 'task_ids and external_task_ids cannot exceed 20 in total',
    });
    expect(errorOf(await api(env.sim).get(`/tasks?external_task_ids=${ids(21)}`))).toMatchObject({ status: 400, code: 1201 });
  });

  it('task_ids and external_task_ids together → 400/1201', async () => {
    expect(errorOf(await api(env.sim).get('/tasks?task_ids=1&external_task_ids=2'))).toMatchObject({ status: 400, code: 1201 });
  });

  it('unknown ids are simply absent: 200, data []', async () => {
    const result = await api(env.sim).get('/tasks?task_ids=123456789012345678');
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ code: 0, message: 'SUCCEED', data: [] });
    const known = (await api(env.sim).post('/text-to-video/kling-2.6', newT2V())).json.data.id;
    const mixed = await api(env.sim).get(`/tasks?task_ids=0,${known},1`);
    expect(mixed.json.data.map((t: { id: string }) => t.id)).toEqual([known]);
  });

  it('finds tasks by external id', async () => {
    const id = (await api(env.sim).post('/text-to-video/kling-2.6', newT2V({ options: { external_task_id: 'find-me' } }))).json.data.id;
    const result = await api(env.sim).get('/tasks?external_task_ids=nope,find-me');
    expect(result.json.data).toHaveLength(1);
    expect(result.json.data[0]).toMatchObject({ id, external_id: 'find-me' });
  });
});

describe('legacy lookups (REF §1.3, NEW §3.8)', () => {
  it('an unknown task → 400/1201 "Task not found by id/external id: <value>"', async () => {
    expect(errorOf(await api(env.sim).get('/v1/videos/text2video/123'))).toEqual({
      status: 400,
      code: 1201,
      message: 'Task not found by id/external id: 123',
    });
    expect(errorOf(await api(env.sim).get('/v1/videos/text2video?external_task_id=zzz'))).toEqual({
      status: 400,
      code: 1201,
      message: 'Task not found by id/external id: zzz',
    });
  });

  it('legacyTaskNotFound "404/1203" switches the answer', async () => {
    const other = await startSimulator({ legacyTaskNotFound: '404/1203' });
    try {
      expect(errorOf(await api(other).get('/v1/videos/image2video/123'))).toEqual({
        status: 404,
        code: 1203,
        message: 'Task not found by id/external id: 123',
      });
    } finally {
      await other.close();
    }
  });

  it('resolves an external id in the path and in ?external_task_id=', async () => {
    const id = (await api(env.sim).post('/v1/videos/text2video', legacyT2V({ external_task_id: 'ext-lookup' }))).json.data.task_id;
    expect((await api(env.sim).get('/v1/videos/text2video/ext-lookup')).json.data.task_id).toBe(id);
    const byQuery = await api(env.sim).get('/v1/videos/text2video?external_task_id=ext-lookup');
    expect(byQuery.json.data).toMatchObject({ task_id: id, task_info: { external_task_id: 'ext-lookup' } });
  });

  it('new-standard tasks are not visible on legacy routes', async () => {
    const id = (await api(env.sim).post('/text-to-video/kling-2.6', newT2V())).json.data.id;
    expect(errorOf(await api(env.sim).get(`/v1/videos/text2video/${id}`))).toMatchObject({ status: 400, code: 1201 });
  });

  it('externalIdLookup "path" ignores the query form (it becomes the list)', async () => {
    const other = await startSimulator({ externalIdLookup: 'path' });
    try {
      await api(other).post('/v1/videos/text2video', legacyT2V({ external_task_id: 'only-path' }));
      const viaQuery = await api(other).get('/v1/videos/text2video?external_task_id=only-path');
      expect(Array.isArray(viaQuery.json.data)).toBe(true);
      expect((await api(other).get('/v1/videos/text2video/only-path')).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('externalIdLookup "query" matches only task ids in the path', async () => {
    const other = await startSimulator({ externalIdLookup: 'query' });
    try {
      await api(other).post('/v1/videos/text2video', legacyT2V({ external_task_id: 'only-query' }));
      expect((await api(other).get('/v1/videos/text2video/only-query')).status).toBe(400);
      expect((await api(other).get('/v1/videos/text2video?external_task_id=only-query')).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('POST /tasks cursor list (NEW §3.7)', () => {
  it('an empty window answers {count: 0, has_more: false} with no result or next_cursor', async () => {
    const result = await api(env.sim).post('/tasks', {});
    expect(result.json).toMatchObject({ code: 0, message: 'SUCCEED' });
    expect(result.json.data).toEqual({ count: 0, has_more: false });
  });

  it('pages newest first with a cursor, legacy tasks included', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const created =
        i % 2 === 0 ? await api(env.sim).post('/text-to-video/kling-2.6', newT2V()) : await api(env.sim).post('/v1/videos/text2video', legacyT2V());
      ids.push(created.json.data.id ?? created.json.data.task_id);
      env.clock.advance(10);
    }
    const first = await api(env.sim).post('/tasks', { limit: 2 });
    expect(first.json.data).toMatchObject({ count: 2, has_more: true });
    const second = await api(env.sim).post('/tasks', { cursor: first.json.data.next_cursor, limit: 2 });
    const third = await api(env.sim).post('/tasks', { cursor: second.json.data.next_cursor, limit: 2 });
    expect(third.json.data).toMatchObject({ count: 1, has_more: false });
    expect(third.json.data.next_cursor).toBeUndefined();
    const seen = [first, second, third].flatMap((page) => page.json.data.result.map((t: { id: string }) => t.id));
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by status and window; times may be numbers or strings; start must precede end', async () => {
    await api(env.sim).post('/text-to-video/kling-2.6', newT2V());
    env.clock.advance(10_000);
    await api(env.sim).post('/text-to-video/kling-2.6', newT2V());
    const succeeded = await api(env.sim).post('/tasks', { filters: [{ key: 'status', values: ['succeeded'] }] });
    expect(succeeded.json.data.result.map((t: { status: string }) => t.status)).toEqual(['succeeded']);
    const window = await api(env.sim).post('/tasks', { start_time: String(env.clock.now() - 1), end_time: env.clock.now() });
    expect(window.json.data.count).toBe(1);
    expect(errorOf(await api(env.sim).post('/tasks', { start_time: 10, end_time: 5 }))).toMatchObject({ status: 400, code: 1201 });
    expect(errorOf(await api(env.sim).post('/tasks', { limit: 501 }))).toMatchObject({ status: 400, code: 1201 });
    expect(errorOf(await api(env.sim).post('/tasks', { cursor: 'garbage' }))).toMatchObject({ status: 400, code: 1201 });
  });
});

describe('routing', () => {
  it('unknown paths → 404/1203, wrong methods → 404/1202, unsimulated families → 404/1203', async () => {
    expect(errorOf(await api(env.sim).get('/nope'))).toMatchObject({ status: 404, code: 1203 });
    expect(errorOf(await api(env.sim).post('/v1/videos/text2video/123', {}))).toMatchObject({ status: 404, code: 1202 });
    expect(errorOf(await api(env.sim).post('/v1/videos/video-extend', {}))).toMatchObject({ status: 404, code: 1203 });
    // Omni-video and motion control are simulated on both standards (issue 20): an empty body is a 400/1201.
    expect(errorOf(await api(env.sim).post('/v1/videos/omni-video', {}))).toMatchObject({ status: 400, code: 1201 });
    expect(errorOf(await api(env.sim).post('/v1/videos/motion-control', {}))).toMatchObject({ status: 400, code: 1201 });
    expect(errorOf(await api(env.sim).post('/omni-video/kling-3.0-omni', {}))).toMatchObject({ status: 400, code: 1201 });
    expect(errorOf(await api(env.sim).post('/motion-control/kling-3.0', {}))).toMatchObject({ status: 400, code: 1201 });
  });
});
