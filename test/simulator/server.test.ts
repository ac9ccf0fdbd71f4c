import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { api, legacyT2V, newT2V, signJwt } from './helpers.js';

let sim: Simulator;
let clock: ManualClock;
beforeAll(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ now: clock.now });
});
afterAll(() => sim.close());

describe('startSimulator', () => {
  it('listens on 127.0.0.1 on a free port by default', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.credentials).toEqual({ apiKeys: ['sim-api-key'], accessKeys: [{ accessKey: 'sim-ak', secretKey: 'sim-sk' }] });
  });

  it('validates its options', async () => {
    await expect(startSimulator({ concurrency: { limit: 0 } })).rejects.toThrow(/limit/);
    await expect(startSimulator({ expiredVideoStatus: 500 as 403 })).rejects.toThrow();
    await expect(startSimulator({ now: 5 as unknown as () => number })).rejects.toThrow(/now must be a function/);
  });

  it('logs every request: method, path, query, auth kind, parsed body, status and code', async () => {
    sim.reset();
    const token = await signJwt({ nowMs: clock.now() });
    await api(sim, token).post('/v1/videos/text2video', legacyT2V({ duration: 5 }));
    await api(sim).get('/tasks?task_ids=1,2');
    await api(sim, null).post('/tasks', {});
    expect(sim.requests).toHaveLength(3);
    expect(sim.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/videos/text2video',
      routeKind: 'create',
      standard: 'legacy',
      authKind: 'jwt',
      body: { duration: 5 },
      status: 400,
      code: 1201,
      fault: null,
    });
    expect(sim.requests[1]).toMatchObject({
      method: 'GET',
      path: '/tasks',
      query: { task_ids: '1,2' },
      authKind: 'apiKey',
      status: 200,
      code: 0,
      standard: 'new',
    });
    expect(sim.requests[2]).toMatchObject({ authKind: 'none', status: 401, code: 1001 });
    expect(sim.requests[0]?.at).toBe(clock.now());
  });

  it('reset() forgets tasks, requests, faults and failure rules and refills the balance', async () => {
    sim.faults.script([{ kind: 'http-5000', route: 'query' }]);
    const id = (await api(sim).post('/text-to-video/kling-2.6', newT2V())).json.data.id;
    sim.completeTask(id);
    expect(sim.balance().spentUnits).toBe(1.5);
    sim.failNext('queued failure');
    sim.failExternalId('ext', 'another failure');
    sim.reset();
    expect(sim.tasks()).toEqual([]);
    expect(sim.requests).toHaveLength(0);
    expect(sim.faults.pending()).toBe(0);
    expect(sim.balance().spentUnits).toBe(0);
    const fresh = (await api(sim).post('/text-to-video/kling-2.6', newT2V())).json.data.id;
    clock.advance(2_000);
    expect(sim.task(fresh)?.status).toBe('succeeded');
  });
});

describe('CLI (src/simulator/main.ts)', () => {
  it('prints the URL and credentials, serves requests and exits on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/simulator/main.ts', '--port', '0', '--api-key', 'cli-key', '--access-key', 'cli-ak:cli-sk'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${output}`)), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match?.[1] !== undefined && output.includes('Access keys')) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    expect(output).toContain('cli-key');
    expect(output).toContain('cli-ak');
    expect((await api({ url }, 'cli-key').get('/tasks?task_ids=1')).status).toBe(200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
  }, 30_000);
});
