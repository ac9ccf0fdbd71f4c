import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  estimateCredits,
  KlingApiError,
  KlingClient,
  KlingCredentialsError,
  KlingValidationError,
  lintPrompt,
  type KlingTask,
  type TaskRef,
} from '../../src/kling/index.js';
import { ManualClock, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { creates } from '../support/creates.js';
import { finishOnClock } from '../support/finish-task.js';

// Each seed pitfall is exercised through the client against the simulator over HTTP: if one came back,
// the simulator (written from the references, not from the client) would refuse or the assertion would fail.
const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, soft bokeh background, golden hour lighting, macro lens, 4K';
const clock = new ManualClock();
let sim: Simulator;

const apiKeyClient = () => new KlingClient({ baseUrl: sim.url, credentials: { apiKey: 'sim-api-key' }, now: clock.now });
const akskClient = () => new KlingClient({ baseUrl: sim.url, credentials: { accessKey: 'sim-ak', secretKey: 'sim-sk' }, now: clock.now });

beforeAll(async () => {
  sim = await startSimulator({ now: clock.now, schedule: { submittedMs: 1_000, processingMs: 5_000 } });
});
afterAll(async () => sim?.close());
beforeEach(() => sim.reset());

const finish = (c: KlingClient, ref: TaskRef) => finishOnClock(c, ref, clock);
const refOf = (t: KlingTask): TaskRef => ({ standard: t.standard, kind: t.kind, taskId: t.taskId });

describe('Kling client against the simulator', () => {
  it('pitfall 1: on the legacy wire duration goes out as the string "10"; the simulator refuses an integer', async () => {
    const client = akskClient();
    const task = await client.createTask({ model: 'kling-v2-6', kind: 'text-to-video', prompt: PROMPT, duration: 10 });
    expect(creates(sim).at(-1)?.body).toMatchObject({ duration: '10', model_name: 'kling-v2-6' });
    expect((await finish(client, refOf(task))).status).toBe('succeeded');

    // The same body with an integer duration, as a careless client would send it, is a 400/1201.
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('sim-ak')
      .setExpirationTime(Math.floor(clock.now() / 1000) + 1800)
      .setNotBefore(Math.floor(clock.now() / 1000) - 5)
      .sign(new TextEncoder().encode('sim-sk'));
    const res = await fetch(`${sim.url}/v1/videos/text2video`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model_name: 'kling-v2-6', prompt: PROMPT, duration: 10 }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 1201 });
  });

  it('pitfall 1 (new standard): duration goes out as an integer', async () => {
    await apiKeyClient().createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: '10' });
    expect(creates(sim).at(-1)).toMatchObject({ path: '/text-to-video/kling-2.6', body: { settings: { duration: 10 } } });
  });

  it('pitfall 2: the client’s JWT is accepted; one without typ is refused by the simulator', async () => {
    await akskClient().createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, standard: 'legacy' });
    expect(creates(sim).at(-1)).toMatchObject({ authKind: 'jwt', status: 200 });

    const noTyp = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('sim-ak')
      .setExpirationTime(Math.floor(clock.now() / 1000) + 1800)
      .setNotBefore(Math.floor(clock.now() / 1000) - 5)
      .sign(new TextEncoder().encode('sim-sk'));
    const res = await fetch(`${sim.url}/v1/videos/text2video?pageNum=1&pageSize=1`, { headers: { authorization: `Bearer ${noTyp}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 1002 });
  });

  it('pitfall 3: a long-lived client crosses the 30-minute token expiry without a single authentication failure', async () => {
    const client = akskClient();
    const task = await client.createTask({ model: 'kling-v1-6', kind: 'text-to-video', prompt: PROMPT });
    for (let minute = 0; minute < 95; minute += 5) {
      clock.advance(5 * 60_000);
      await client.getTask(refOf(task));
    }
    const authFailures = sim.requests.filter((r) => r.status === 401);
    expect(authFailures).toEqual([]);
    expect(sim.requests.filter((r) => r.authKind === 'jwt').length).toBe(20);
  });

  it('re-signs once when Kling answers 1004 (expired) and succeeds', async () => {
    const client = akskClient();
    sim.faults.script([{ kind: 'token-expired-1004', route: 'create' }]);
    const task = await client.createTask({ model: 'kling-v1-6', kind: 'text-to-video', prompt: PROMPT });
    expect(task.status).toBe('submitted');
    expect(creates(sim).map((r) => r.status)).toEqual([401, 200]);
  });

  it('pitfall 6: mixed image-to-video features are refused before any request', async () => {
    const client = akskClient();
    const request = {
      model: 'kling-v1-5',
      kind: 'image-to-video',
      image: 'https://example.com/first.png',
      imageTail: 'https://example.com/last.png',
      cameraControl: { type: 'simple', config: { zoom: 5 } },
      mode: 'pro',
    };
    await expect(client.createTask(request)).rejects.toThrow(KlingValidationError);
    await expect(client.createTask(request)).rejects.toThrow(/imageTail, cameraControl: mutually exclusive/);
    expect(sim.requests).toHaveLength(0);
  });

  it('pitfall 7: text-to-video on an image-to-video-only model is refused before any request', async () => {
    await expect(akskClient().createTask({ model: 'kling-v2-1', kind: 'text-to-video', prompt: PROMPT })).rejects.toThrow(
      /kind: kling-v2-1 does not support text-to-video/,
    );
    await expect(akskClient().createTask({ model: 'kling-v1-5', kind: 'text-to-video', prompt: PROMPT })).rejects.toThrow(KlingValidationError);
    expect(sim.requests).toHaveLength(0);
  });

  it('a new-standard-only model with only access/secret keys is refused before any request, asking for an API key', async () => {
    await expect(akskClient().createTask({ model: 'kling-3.0-turbo', kind: 'text-to-video', prompt: PROMPT })).rejects.toThrow(KlingCredentialsError);
    await expect(akskClient().createTask({ model: 'kling-3.0-turbo', kind: 'text-to-video', prompt: PROMPT })).rejects.toThrow(/API key/);
    expect(sim.requests).toHaveLength(0);
  });

  it.each(['legacy', 'new'] as const)('pitfall 8: a failed task is a value with Kling’s message (%s standard)', async (standard) => {
    const client = apiKeyClient();
    const task = await client.createTask({
      model: 'kling-2.6',
      kind: 'text-to-video',
      prompt: `${PROMPT} [sim:fail Image pixel is invalid]`,
      standard,
    });
    const done = await finish(client, refOf(task));
    expect(done).toMatchObject({ status: 'failed', statusMessage: 'Image pixel is invalid', videos: [] });
  });

  it('pitfall 9: the estimate’s audio multiplier matches what the simulator charges', async () => {
    const client = apiKeyClient();
    const silent = { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, resolution: '1080p' };
    const loud = { ...silent, audio: true };
    const charged = async (request: object) => (await finish(client, refOf(await client.createTask(request)))).unitsDeducted!;
    const [silentUnits, loudUnits] = [await charged(silent), await charged(loud)];
    const [silentEstimate, loudEstimate] = [estimateCredits(client.resolve(silent)), estimateCredits(client.resolve(loud))];
    expect(loudEstimate.credits).toBe(2 * silentEstimate.credits);
    expect(loudUnits / silentUnits).toBe(loudEstimate.audioMultiplier);
    expect(loudEstimate.units).toBe(loudUnits);
  });

  it('pitfall 10: a vague prompt gets a lint report (the request itself is not blocked)', async () => {
    const report = lintPrompt('A nice video of nature');
    expect(report.vagueWords).toContain('nice');
    expect(report.score).toBeLessThan(30);
    await expect(apiKeyClient().createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: 'A nice video of nature' })).resolves.toMatchObject({
      status: 'submitted',
    });
  });

  it('the same request reaches the simulator correctly on both standards for a model both serve', async () => {
    const client = apiKeyClient();
    const request = { model: 'kling-2.6', kind: 'image-to-video', prompt: PROMPT, image: 'https://example.com/first.png', duration: 5 };
    const viaNew = await finish(client, refOf(await client.createTask(request)));
    const viaLegacy = await finish(client, refOf(await client.createTask({ ...request, standard: 'legacy' })));
    for (const task of [viaNew, viaLegacy]) {
      expect(task.status).toBe('succeeded');
      expect(task.videos).toHaveLength(1);
      const res = await fetch(task.videos[0]!.url);
      expect(res.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await res.arrayBuffer()).equals(sim.videoBytes(task.taskId))).toBe(true);
    }
    expect(creates(sim).map((r) => r.path)).toEqual(['/image-to-video/kling-2.6', '/v1/videos/image2video']);
    expect(viaNew.standard).toBe('new');
    expect(viaLegacy.standard).toBe('legacy');
    expect(viaNew.unitsDeducted).toBe(viaLegacy.unitsDeducted);
  });

  it('sends voices and elements in each standard’s shape; the simulator accepts and charges voice control', async () => {
    const client = apiKeyClient();
    const voicedNew = {
      model: 'kling-2.6',
      kind: 'image-to-video',
      image: 'https://example.com/first.png',
      prompt: 'The captain says hello, voice @1',
      audio: true,
      voices: [{ voiceId: 'voice-a' }],
    };
    const newTask = await finish(client, refOf(await client.createTask(voicedNew)));
    expect(creates(sim).at(-1)?.body).toMatchObject({
      contents: expect.arrayContaining([{ type: 'voice', voice_id: 'voice-a', id: '1' }]),
      settings: { audio: 'native', resolution: '1080p' },
    });
    expect(newTask.unitsDeducted).toBe(estimateCredits(client.resolve(voicedNew)).units);

    const voicedLegacy = {
      model: 'kling-v2-6',
      kind: 'text-to-video',
      prompt: 'The captain says <<<voice_1>>> hello',
      audio: true,
      voices: [{ voiceId: 'voice-a' }],
      standard: 'legacy',
    };
    const legacyTask = await finish(client, refOf(await client.createTask(voicedLegacy)));
    expect(creates(sim).at(-1)?.body).toMatchObject({ voice_list: [{ voice_id: 'voice-a' }], sound: 'on', mode: 'pro' });
    expect(legacyTask.unitsDeducted).toBe(estimateCredits(client.resolve(voicedLegacy)).units);

    await client.createTask({
      model: 'kling-3.0',
      kind: 'image-to-video',
      prompt: 'Both characters wave',
      elements: [{ elementId: 'el-1' }, { elementId: 'el-2' }],
    });
    expect(creates(sim).at(-1)).toMatchObject({
      status: 200,
      body: { contents: expect.arrayContaining([{ type: 'element', element_id: 'el-2', id: '2' }]) },
    });
  });

  it('looks tasks up by external id on both standards and answers unknown tasks with undefined', async () => {
    const client = apiKeyClient();
    for (const standard of ['new', 'legacy'] as const) {
      const created = await client.createTask({
        model: 'kling-2.6',
        kind: 'text-to-video',
        prompt: PROMPT,
        standard,
        externalTaskId: `ext-${standard}`,
      });
      const found = await client.getTask({ standard, kind: 'text-to-video', externalTaskId: `ext-${standard}` });
      expect(found?.taskId).toBe(created.taskId);
      expect(found?.externalTaskId).toBe(`ext-${standard}`);
      expect(await client.getTask({ standard, kind: 'text-to-video', taskId: '999999999999999999' })).toBeUndefined();
    }
  });

  it('refuses new-standard calls at once with only access/secret keys: a KlingCredentialsError, nothing sent', async () => {
    const client = akskClient();
    const before = sim.requests.length;
    const calls = [
      () => client.getTasks(['1']),
      () => client.listTasks(),
      () => client.getTask({ standard: 'new', kind: 'text-to-video', taskId: '1' }),
    ];
    for (const call of calls) {
      const err = await call().catch((e: unknown) => e);
      // Not a retryable KlingNetworkError claiming the request may have reached Kling.
      expect(err).toBeInstanceOf(KlingCredentialsError);
      expect(err).toMatchObject({ retryable: false });
      expect((err as Error).message).toContain('KLING_API_KEY');
      expect((err as Error).message).not.toContain('sim-sk');
    }
    expect(sim.requests.length).toBe(before);
  });

  it('a legacy task found through GET /tasks keeps the standard and kind the caller knows', async () => {
    const client = apiKeyClient();
    const request = {
      model: 'kling-2.6',
      kind: 'image-to-video',
      prompt: PROMPT,
      image: 'https://example.com/first.png',
      duration: 5,
      standard: 'legacy',
    };
    const created = await client.createTask(request);
    expect(created).toMatchObject({ standard: 'legacy', kind: 'image-to-video' });
    const [viaTasks] = await client.getTasks([created.taskId], { standard: 'legacy', kind: 'image-to-video' });
    expect(sim.requests.at(-1)).toMatchObject({ method: 'GET', path: '/tasks' });
    expect(viaTasks).toMatchObject({ taskId: created.taskId, standard: 'legacy', kind: 'image-to-video' });
  });

  it('refuses a duplicate external id with a non-retryable 1201 and creates nothing more', async () => {
    const client = apiKeyClient();
    await client.createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, externalTaskId: 'dup-1' });
    const err = await client
      .createTask({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, externalTaskId: 'dup-1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KlingApiError);
    expect(err).toMatchObject({ httpStatus: 400, code: 1201, retryable: false });
    expect(sim.tasks()).toHaveLength(1);
  });

  it('queries up to 20 tasks in one call and refuses more before sending', async () => {
    const client = apiKeyClient();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push((await client.createTask({ model: 'kling-2.5-turbo', kind: 'text-to-video', prompt: PROMPT })).taskId);
      if (i % 5 === 4) clock.advance(10_000); // the account has 5 slots: let each batch finish
    }
    const tasks = await client.getTasks(ids);
    expect(tasks.map((t) => t.taskId).sort()).toEqual([...ids].sort());
    const before = sim.requests.length;
    await expect(client.getTasks([...ids, '1'])).rejects.toThrow(KlingValidationError);
    expect(sim.requests.length).toBe(before);
  });

  it('surfaces 1303 as a retryable error and 5xx/network failures as retryable', async () => {
    const client = apiKeyClient();
    const request = { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT };
    sim.faults.script([
      { kind: 'concurrency-1303', route: 'create' },
      { kind: 'http-5000', route: 'create' },
      { kind: 'connection-reset', route: 'create' },
    ]);
    for (const expected of [
      { code: 1303, httpStatus: 429 },
      { code: 5000, httpStatus: 500 },
    ]) {
      const err = await client.createTask(request).catch((e: unknown) => e);
      expect(err).toMatchObject({ ...expected, retryable: true });
    }
    const reset = await client.createTask(request).catch((e: unknown) => e);
    expect(reset).toMatchObject({ name: 'KlingNetworkError', retryable: true, mayHaveReachedServer: true });
  });

  // Issue 13 point 7: kling-3.0 defaults `settings.multi_shot` to true (NEW §1.3); a single shot must say false (NEW §8).
  it('kling-3.0 single shots send settings.multi_shot: false on both kinds; multiShot: true sends true; models without it send none', async () => {
    const client = apiKeyClient();
    const i2v = { model: 'kling-3.0', kind: 'image-to-video', prompt: PROMPT, image: 'https://example.com/first.png' };
    const cases: Array<[Record<string, unknown>, boolean | undefined]> = [
      [{ model: 'kling-3.0', kind: 'text-to-video', prompt: PROMPT }, false],
      [i2v, false],
      [{ model: 'kling-3.0', kind: 'text-to-video', prompt: PROMPT, multiShot: true }, true],
      [{ ...i2v, multiShot: false }, false],
      [{ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, undefined],
      [{ model: 'kling-3.0-turbo', kind: 'image-to-video', prompt: PROMPT, image: 'https://example.com/first.png' }, undefined],
      [{ model: 'kling-3.0', kind: 'text-to-video', prompt: PROMPT, standard: 'legacy' }, undefined],
    ];
    for (const [request, expected] of cases) {
      const settings = (client.wireRequest(request).body as { settings?: Record<string, unknown> }).settings ?? {};
      expect(settings.multi_shot, JSON.stringify(request)).toBe(expected);
      await client.createTask(request);
      const sent = creates(sim).at(-1)!;
      expect(sent.status, JSON.stringify(request)).toBe(200);
      const body = sent.body as { settings?: Record<string, unknown>; multi_shot?: unknown };
      expect(body.settings?.multi_shot ?? body.multi_shot).toBe(expected);
      clock.advance(10_000); // the account has 5 slots
    }
  });

  // Issue 13 point 4: Kling fetches image URLs; internal addresses and plain http must never be sent.
  it.each([
    ['image', 'http://127.0.0.1:8080/a.png', /internal address \(127\.0\.0\.1\)/],
    ['image', 'https://169.254.169.254/latest/meta-data/', /internal address/],
    ['image', 'http://[::ffff:169.254.169.254]/a.png', /internal address \(::ffff:a9fe:a9fe\)/],
    ['image', 'https://[::ffff:127.0.0.1]/a.png', /internal address/],
    ['image', 'https://[::127.0.0.1]/a.png', /internal address/],
    ['image', 'https://[::1]/a.png', /internal address/],
    ['image', 'https://[fd00::1]/a.png', /internal address/],
    ['image', 'https://[fe80::1]/a.png', /internal address/],
    ['image', 'https://0.0.0.0/a.png', /internal address/],
    ['image', 'https://10.1.2.3/a.png', /internal address/],
    ['image', 'https://192.168.0.10/a.png', /internal address/],
    ['image', 'https://2130706433/a.png', /internal address \(127\.0\.0\.1\)/],
    ['image', 'https://0x7f.1/a.png', /internal address \(127\.0\.0\.1\)/],
    ['image', 'https://localhost/a.png', /internal address \(localhost\)/],
    ['image', 'https://LOCALHOST./a.png', /internal address/],
    ['image', 'https://api.localhost/a.png', /internal address/],
    ['image', 'https://metadata.google.internal/a.png', /internal address/],
    ['image', 'https://metadata/a.png', /internal address/],
    ['image', 'http://example.com/a.png', /must be an https URL, got http:/],
    ['imageTail', 'http://127.0.0.1/b.png', /internal address/],
  ])('refuses %s %s before any request, naming the field', async (field, url, why) => {
    const request = {
      model: 'kling-2.6',
      kind: 'image-to-video',
      prompt: PROMPT,
      image: 'https://example.com/first.png',
      resolution: '1080p',
      [field]: url,
    };
    for (const standard of ['new', 'legacy'] as const) {
      const err = await apiKeyClient()
        .createTask({ ...request, standard })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KlingValidationError);
      const issue = (err as KlingValidationError).issues.find((i) => i.field === field);
      expect(issue?.message).toMatch(why);
    }
    expect(sim.requests).toHaveLength(0);
  });

  it('refuses internal mask URLs on the legacy motion brush, naming dynamicMasks.<i>.mask', async () => {
    const masks = { model: 'kling-v1-5', kind: 'image-to-video', image: 'https://example.com/a.png', mode: 'pro', duration: 5 };
    const err = await akskClient()
      .createTask({
        ...masks,
        staticMask: 'https://192.168.1.1/m.png',
        dynamicMasks: [
          {
            mask: 'https://example.com/m.png',
            trajectories: [
              { x: 1, y: 1 },
              { x: 2, y: 2 },
            ],
          },
          {
            mask: 'http://[::1]/m.png',
            trajectories: [
              { x: 1, y: 1 },
              { x: 2, y: 2 },
            ],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect((err as KlingValidationError).issues.map((i) => i.field)).toEqual(expect.arrayContaining(['staticMask', 'dynamicMasks.1.mask']));
    expect((err as KlingValidationError).issues.map((i) => i.field)).not.toContain('dynamicMasks.0.mask');
    expect(sim.requests).toHaveLength(0);
  });

  it('sends public https and base64 images; mediaUrlPolicy lets local testing send http and loopback URLs', async () => {
    const base = { model: 'kling-2.6', kind: 'image-to-video', prompt: PROMPT };
    const strict = apiKeyClient();
    await strict.createTask({ ...base, image: 'https://8.8.8.8/a.png' });
    await strict.createTask({ ...base, image: 'https://[2606:4700:4700::1111]/a.png' });
    await strict.createTask({ ...base, image: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' });
    const lax = new KlingClient({
      baseUrl: sim.url,
      credentials: { apiKey: 'sim-api-key' },
      now: clock.now,
      mediaUrlPolicy: { allowHttp: true, allowPrivateAddresses: true },
    });
    await lax.createTask({ ...base, image: 'http://127.0.0.1:8080/a.png' });
    await lax.createTask({ ...base, image: 'http://localhost/a.png', standard: 'legacy' });
    expect(creates(sim).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    clock.advance(10_000); // the account has 5 slots: let these finish
    // Each switch lifts only its own rule.
    const httpOnly = new KlingClient({
      baseUrl: sim.url,
      credentials: { apiKey: 'sim-api-key' },
      now: clock.now,
      mediaUrlPolicy: { allowHttp: true },
    });
    await expect(httpOnly.createTask({ ...base, image: 'http://example.com/a.png' })).resolves.toMatchObject({ status: 'submitted' });
    await expect(httpOnly.createTask({ ...base, image: 'http://127.0.0.1/a.png' })).rejects.toThrow(/image: points at an internal address/);
    const privateOnly = new KlingClient({
      baseUrl: sim.url,
      credentials: { apiKey: 'sim-api-key' },
      now: clock.now,
      mediaUrlPolicy: { allowPrivateAddresses: true },
    });
    await expect(privateOnly.createTask({ ...base, image: 'https://127.0.0.1/a.png' })).resolves.toMatchObject({ status: 'submitted' });
    await expect(privateOnly.createTask({ ...base, image: 'http://127.0.0.1/a.png' })).rejects.toThrow(/image: must be an https URL/);
  });
});
