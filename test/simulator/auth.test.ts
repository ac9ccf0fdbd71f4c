import { describe, expect, it } from 'vitest';
import { NEW_STANDARD_AUTH_MESSAGE, startSimulator } from '../../src/simulator/index.js';
import { api, errorOf, legacyT2V, newT2V, signJwt, useSimulator } from './helpers.js';

const env = useSimulator();

describe('legacy routes: API key or AK/SK JWT (REF §2)', () => {
  it('no Authorization header → 401/1001', async () => {
    const result = await api(env.sim, null).get('/v1/videos/text2video');
    expect(errorOf(result)).toMatchObject({ status: 401, code: 1001 });
    expect(result.json.data).toBeUndefined();
    expect(typeof result.json.request_id).toBe('string');
  });

  it('a non-Bearer scheme → 401/1001', async () => {
    const result = await api(env.sim, 'Basic c2ltOnNpbQ==').get('/v1/videos/text2video');
    expect(errorOf(result)).toMatchObject({ status: 401, code: 1001 });
  });

  it('an API key works on legacy routes', async () => {
    const result = await api(env.sim).post('/v1/videos/text2video', legacyT2V());
    expect(result.status).toBe(200);
    expect(env.sim.requests.at(-1)?.authKind).toBe('apiKey');
  });

  it('a valid JWT works on legacy routes', async () => {
    const token = await signJwt({ nowMs: env.clock.now() });
    const result = await api(env.sim, token).post('/v1/videos/text2video', legacyT2V());
    expect(result.status).toBe(200);
    expect(result.json.code).toBe(0);
    expect(env.sim.requests.at(-1)?.authKind).toBe('jwt');
  });

  it('a garbage key is parsed as a JWT: 401/1002 "expected to have 3 parts, but got 0"', async () => {
    const result = await api(env.sim, 'not-a-key').get('/v1/videos/text2video');
    expect(errorOf(result)).toEqual({ status: 401, code: 1002, message: 'The token was expected to have 3 parts, but got 0' });
  });

  it('a two-part token → 1002 "but got 2"', async () => {
    const result = await api(env.sim, 'abc.def').get('/v1/videos/text2video');
    expect(errorOf(result)).toEqual({ status: 401, code: 1002, message: 'The token was expected to have 3 parts, but got 2' });
  });

  it('a JWT without typ "JWT" in its header → 401/1002 (seed pitfall 2)', async () => {
    const token = await signJwt({ nowMs: env.clock.now(), typ: null });
    const result = await api(env.sim, token).get('/v1/videos/text2video');
    expect(errorOf(result)).toMatchObject({ status: 401, code: 1002 });
    expect(result.json.message).toContain('typ');
  });

  it('a JWT signed with the wrong secret → 401/1002', async () => {
    const token = await signJwt({ nowMs: env.clock.now(), secretKey: 'wrong-secret' });
    expect(errorOf(await api(env.sim, token).get('/v1/videos/text2video'))).toMatchObject({ status: 401, code: 1002 });
  });

  it('a JWT with an unknown issuer → 401/1002', async () => {
    const token = await signJwt({ nowMs: env.clock.now(), accessKey: 'someone-else' });
    expect(errorOf(await api(env.sim, token).get('/v1/videos/text2video'))).toMatchObject({ status: 401, code: 1002 });
  });

  it('nbf in the future → 401/1003', async () => {
    const token = await signJwt({ nowMs: env.clock.now(), nbfOffsetSeconds: 120 });
    expect(errorOf(await api(env.sim, token).get('/v1/videos/text2video'))).toMatchObject({ status: 401, code: 1003 });
    env.clock.advance(121_000);
    expect((await api(env.sim, token).get('/v1/videos/text2video')).status).toBe(200);
  });

  it('the same token expires on the simulator env.clock → 401/1004 (seed pitfall 3)', async () => {
    const token = await signJwt({ nowMs: env.clock.now(), ttlSeconds: 1800 });
    expect((await api(env.sim, token).get('/v1/videos/text2video')).status).toBe(200);
    env.clock.advance(1801_000);
    expect(errorOf(await api(env.sim, token).get('/v1/videos/text2video'))).toMatchObject({ status: 401, code: 1004 });
  });

  it('the account endpoint uses the legacy scheme', async () => {
    const token = await signJwt({ nowMs: env.clock.now() });
    const result = await api(env.sim, token).get(`/account/costs?start_time=0&end_time=${env.clock.now()}`);
    expect(result.status).toBe(200);
    expect(result.json.data.resource_pack_subscribe_infos[0].remaining_quantity).toBeGreaterThan(0);
  });
});

describe('new-standard routes: API key only (NEW §2)', () => {
  it('a valid AK/SK JWT on GET /tasks → 401/1002 with the AK/SK text', async () => {
    const token = await signJwt({ nowMs: env.clock.now() });
    const result = await api(env.sim, token).get('/tasks?task_ids=1');
    expect(errorOf(result)).toEqual({ status: 401, code: 1002, message: NEW_STANDARD_AUTH_MESSAGE });
    expect(result.json.message).toContain('does not support AK/SK');
  });

  it('a JWT on a new-standard create → 401/1002 and no task', async () => {
    const token = await signJwt({ nowMs: env.clock.now() });
    const result = await api(env.sim, token).post('/text-to-video/kling-2.6', newT2V());
    expect(errorOf(result)).toEqual({ status: 401, code: 1002, message: NEW_STANDARD_AUTH_MESSAGE });
    expect(env.sim.tasks()).toHaveLength(0);
    expect(env.sim.requests.at(-1)).toMatchObject({ authKind: 'jwt', status: 401, code: 1002 });
  });

  it('an unknown key → 401/1002 with the same text; no header → 401/1001', async () => {
    expect(errorOf(await api(env.sim, 'sk-unknown').post('/tasks', {}))).toEqual({ status: 401, code: 1002, message: NEW_STANDARD_AUTH_MESSAGE });
    expect(errorOf(await api(env.sim, null).post('/tasks', {}))).toMatchObject({ status: 401, code: 1001 });
  });

  it('the API key is accepted', async () => {
    const result = await api(env.sim).post('/text-to-video/kling-2.6', newT2V());
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ code: 0, message: 'SUCCEED', data: { status: 'submitted' } });
  });

  it('custom credentials replace the defaults', async () => {
    const custom = await startSimulator({ apiKeys: ['k-1'], accessKeys: [{ accessKey: 'ak-1', secretKey: 'sk-1' }] });
    try {
      expect((await api(custom, 'k-1').get('/tasks?task_ids=1')).status).toBe(200);
      expect((await api(custom, 'sim-api-key').get('/tasks?task_ids=1')).status).toBe(401);
      const token = await signJwt({ accessKey: 'ak-1', secretKey: 'sk-1' });
      expect((await api(custom, token).get('/v1/videos/text2video')).status).toBe(200);
    } finally {
      await custom.close();
    }
  });
});
