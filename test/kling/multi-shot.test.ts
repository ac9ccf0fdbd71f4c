import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import {
  createModelCatalog,
  KlingClient,
  KlingValidationError,
  resolveRequest,
  toLegacyBody,
  toNewBody,
  type ApiStandard,
  type TaskRef,
} from '../../src/kling/index.js';
import { ManualClock, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { finishOnClock } from '../support/finish-task.js';

// Issue 20 item 2: multi-shot (NEW §1.3: 1–6 shots, each ≥ 1 s, summing to the duration, ≤ 512 characters each) for
// kling-3.0 text/image-to-video as well as kling-3.0-omni, given as `multiPrompt` (each shot names its own field) or
// as a prompt written in the shot syntax; the simulator checks the syntax on its own (written from NEW §1.3).
const catalog = createModelCatalog();
const resolve = (request: unknown, standard?: ApiStandard) =>
  resolveRequest(standard ? { ...(request as object), standard } : request, {
    catalog,
    availableStandards: ['new', 'legacy'],
    preferredStandard: 'new',
  });
function issuesOf(request: unknown, standard?: ApiStandard): Array<{ field: string; message: string }> {
  try {
    resolve(request, standard);
  } catch (err) {
    if (err instanceof KlingValidationError) return err.issues;
    throw err;
  }
  throw new Error('expected a validation error');
}

const IMG = 'https://cdn.example.com/first.png';
const shots = [
  { prompt: 'A fox trots across fresh snow, wide shot', duration: 2 },
  { prompt: 'Close-up of the fox sniffing the air', duration: 1 },
  { prompt: 'The fox leaps into a snowbank', duration: 3 },
];
const t2v = { model: 'kling-3.0', kind: 'text-to-video', multiPrompt: shots };
const SHOT_PROMPT =
  'shot 1, 2, A fox trots across fresh snow, wide shot; shot 2, 1, Close-up of the fox sniffing the air; shot 3, 3, The fox leaps into a snowbank;';

describe('multiPrompt: validation, each issue naming its field', () => {
  it("the duration defaults to the shots' sum; kling-3.0 text/image-to-video and kling-3.0-omni take it", () => {
    expect(resolve(t2v).duration).toBe(6);
    expect(resolve({ ...t2v, duration: 6 }).duration).toBe(6);
    expect(resolve({ ...t2v, kind: 'image-to-video', image: IMG }).duration).toBe(6);
    expect(resolve({ ...t2v, model: 'kling-3.0-omni', kind: 'omni-video' }).duration).toBe(6);
    expect(resolve(t2v, 'legacy').standard).toBe('legacy');
  });

  it.each([
    [
      'a shot of 0 s',
      {
        ...t2v,
        multiPrompt: [
          { prompt: 'a', duration: 0 },
          { prompt: 'b', duration: 5 },
        ],
      },
      'multiPrompt.0.duration',
      /positive|>0|too small/i,
    ],
    [
      'a shot of 1.5 s',
      {
        ...t2v,
        multiPrompt: [
          { prompt: 'a', duration: 1.5 },
          { prompt: 'b', duration: 3.5 },
        ],
      },
      'multiPrompt.0.duration',
      /whole number/,
    ],
    ['shots that do not add up to the duration', { ...t2v, duration: 8 }, 'multiPrompt.2.duration', /last 6 s in all, but duration is 8 s/],
    ['7 shots', { ...t2v, multiPrompt: Array.from({ length: 7 }, () => ({ prompt: 'x', duration: 1 })) }, 'multiPrompt', /at most 6 shots/],
    ['no shots', { ...t2v, multiPrompt: [] }, 'multiPrompt', /at least 1 shot/],
    ['a shot of 513 characters', { ...t2v, multiPrompt: [{ prompt: 'w'.repeat(513), duration: 5 }] }, 'multiPrompt.0.prompt', /at most 512/],
    [
      '6 shots of 512 characters (3,1xx as a prompt, over 3072)',
      { ...t2v, multiPrompt: Array.from({ length: 6 }, () => ({ prompt: 'w'.repeat(512), duration: 1 })) },
      'multiPrompt',
      /over the limit of 3072/,
    ],
    ['an empty shot', { ...t2v, multiPrompt: [{ prompt: '  ', duration: 5 }] }, 'multiPrompt.0.prompt', /must not be empty/],
    ['a ";" inside a shot (new standard)', { ...t2v, multiPrompt: [{ prompt: 'a fox; a hare', duration: 5 }] }, 'multiPrompt.0.prompt', /";"/],
    [
      'a duration the model lacks',
      {
        ...t2v,
        multiPrompt: [
          { prompt: 'a', duration: 10 },
          { prompt: 'b', duration: 10 },
        ],
      },
      'duration',
      /3–15 seconds, not 20/,
    ],
    ['prompt and multiPrompt', { ...t2v, prompt: 'A fox' }, 'prompt', /either prompt or multiPrompt/],
    ['multiShot false with shots', { ...t2v, multiShot: false }, 'multiShot', /drop multiShot: false/],
    [
      'a model without multi-shot',
      {
        ...t2v,
        model: 'kling-2.6',
        multiPrompt: [
          { prompt: 'a', duration: 2 },
          { prompt: 'b', duration: 3 },
        ],
      },
      'multiPrompt',
      /not available for kling-2.6/,
    ],
    ['kling-o1 (no multi_shot)', { ...t2v, model: 'kling-o1', kind: 'omni-video' }, 'multiPrompt', /not available for kling-o1/],
    [
      'motion control',
      {
        model: 'kling-3.0',
        kind: 'motion-control',
        image: IMG,
        motionVideo: 'https://cdn.example.com/m.mp4',
        characterOrientation: 'video',
        multiPrompt: [{ prompt: 'a', duration: 5 }],
      },
      'multiPrompt',
      /not available/,
    ],
  ] as Array<[string, object, string, RegExp]>)('refuses %s', (_n, request, field, message) => {
    expect(issuesOf(request)).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it('a prompt in the shot syntax with multiShot true is checked on kling-3.0 text/image-to-video too, naming prompt', () => {
    expect(resolve({ model: 'kling-3.0', kind: 'text-to-video', multiShot: true, duration: 6, prompt: SHOT_PROMPT }).duration).toBe(6);
    const i2v = { model: 'kling-3.0', kind: 'image-to-video', image: IMG, multiShot: true };
    expect(issuesOf({ ...i2v, duration: 5, prompt: SHOT_PROMPT })).toContainEqual({
      field: 'prompt',
      message: expect.stringMatching(/6 s in all, but duration is 5 s/),
    });
    expect(issuesOf({ ...i2v, duration: 5, prompt: 'shot 1, 0, a; shot 2, 5, b;' })).toContainEqual({
      field: 'prompt',
      message: expect.stringMatching(/at least 1 s/),
    });
    expect(issuesOf({ ...i2v, duration: 7, prompt: Array.from({ length: 7 }, (_, i) => `shot ${i + 1}, 1, x`).join('; ') })).toContainEqual({
      field: 'prompt',
      message: expect.stringMatching(/at most 6/),
    });
    expect(issuesOf({ ...i2v, duration: 5, prompt: `shot 1, 5, ${'w'.repeat(513)};` })).toContainEqual({
      field: 'prompt',
      message: expect.stringMatching(/at most 512/),
    });
    // A plain prompt with multi_shot true is Kling's own default (NEW §1.3): Kling cuts the shots.
    expect(resolve({ ...i2v, duration: 5, prompt: 'A fox in the snow' }).duration).toBe(5);
  });
});

describe('multiPrompt: wire bodies', () => {
  it('new standard: the shots become the prompt ("shot n, m, words;") with multi_shot true, in T2V, I2V and omni', () => {
    expect(toNewBody(resolve(t2v))).toMatchObject({ prompt: SHOT_PROMPT, settings: { duration: 6, multi_shot: true } });
    expect(toNewBody(resolve({ ...t2v, kind: 'image-to-video', image: IMG }))).toMatchObject({
      contents: [
        { type: 'prompt', text: SHOT_PROMPT },
        { type: 'first_frame', url: IMG },
      ],
      settings: { duration: 6, multi_shot: true },
    });
    expect(toNewBody(resolve({ ...t2v, model: 'kling-3.0-omni', kind: 'omni-video' }))).toMatchObject({
      contents: [{ type: 'prompt', text: SHOT_PROMPT }],
      settings: { duration: 6, multi_shot: true },
    });
  });

  it('legacy kling-v3: multi_shot, shot_type "customize" and multi_prompt[] (REF §3.1), durations as strings', () => {
    const body = toLegacyBody(resolve(t2v, 'legacy'));
    expect(body).toMatchObject({
      model_name: 'kling-v3',
      duration: '6',
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: [
        { index: 1, prompt: shots[0]!.prompt, duration: '2' },
        { index: 2, prompt: shots[1]!.prompt, duration: '1' },
        { index: 3, prompt: shots[2]!.prompt, duration: '3' },
      ],
    });
    expect(body.prompt).toBeUndefined();
    // A single-shot legacy request still sends no multi-shot fields.
    expect(toLegacyBody(resolve({ model: 'kling-3.0', kind: 'text-to-video', prompt: 'A fox' }, 'legacy')).multi_shot).toBeUndefined();
  });
});

describe('multi-shot: client against the simulator over HTTP', () => {
  const clock = new ManualClock();
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ now: clock.now, schedule: { submittedMs: 1_000, processingMs: 3_000 } });
  });
  afterAll(async () => sim?.close());
  beforeEach(() => sim.reset());
  const client = () => new KlingClient({ baseUrl: sim.url, credentials: { apiKey: 'sim-api-key' }, now: clock.now });
  const lastCreate = () => sim.requests.filter((r) => r.routeKind === 'create').at(-1);
  const finish = (c: KlingClient, ref: TaskRef) => finishOnClock(c, ref, clock);

  it.each([
    ['kling-3.0 text-to-video, new standard', t2v, 'new', '/text-to-video/kling-3.0'],
    ['kling-3.0 image-to-video, new standard', { ...t2v, kind: 'image-to-video', image: IMG }, 'new', '/image-to-video/kling-3.0'],
    ['kling-3.0-omni, new standard', { ...t2v, model: 'kling-3.0-omni', kind: 'omni-video' }, 'new', '/omni-video/kling-3.0-omni'],
    ['kling-v3 text-to-video, legacy standard', t2v, 'legacy', '/v1/videos/text2video'],
    ['kling-v3 image-to-video, legacy standard', { ...t2v, kind: 'image-to-video', image: IMG }, 'legacy', '/v1/videos/image2video'],
  ] as Array<[string, object, ApiStandard, string]>)("%s: accepted, billed for the shots' 6 s", async (_n, request, standard, path) => {
    const c = client();
    const task = await c.createTask({ ...request, standard });
    expect(lastCreate()).toMatchObject({ path, status: 200 });
    const done = await finish(c, { standard: task.standard, kind: task.kind, taskId: task.taskId });
    expect(done.status).toBe('succeeded');
    // §7.1: kling-3.0 (and 3.0 Omni) silent 720p, 0.6 units/s × 6 s.
    expect(done.unitsDeducted).toBeCloseTo(3.6);
  });

  const raw = async (path: string, body: unknown) => {
    const res = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer sim-api-key', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, ...((await res.json()) as { code: number; message: string }) };
  };

  it.each([
    [
      'T2V shots that do not add up',
      '/text-to-video/kling-3.0',
      { prompt: 'shot 1, 2, a; shot 2, 2, b;', settings: { duration: 5 } },
      /prompt: shot durations must add up/,
    ],
    ['T2V a 0 s shot', '/text-to-video/kling-3.0', { prompt: 'shot 1, 0, a; shot 2, 5, b;', settings: { duration: 5 } }, /at least 1 second/],
    [
      'I2V 7 shots',
      '/image-to-video/kling-3.0',
      {
        contents: [
          { type: 'prompt', text: Array.from({ length: 7 }, (_, i) => `shot ${i + 1}, 1, x;`).join(' ') },
          { type: 'first_frame', url: IMG },
        ],
        settings: { duration: 7 },
      },
      /contents\[\]\.text: at most 6 shots/,
    ],
    [
      'I2V a 513-character shot',
      '/image-to-video/kling-3.0',
      {
        contents: [
          { type: 'prompt', text: `shot 1, 5, ${'w'.repeat(513)};` },
          { type: 'first_frame', url: IMG },
        ],
        settings: { duration: 5 },
      },
      /at most 512/,
    ],
  ] as Array<[string, string, object, RegExp]>)('the simulator refuses %s → 400/1201', async (_n, path, body, message) => {
    expect(await raw(path, body)).toMatchObject({ status: 400, code: 1201, message: expect.stringMatching(message) });
  });

  it('the simulator accepts a shot-syntax prompt with multi_shot false as plain text (multi-shot output is off)', async () => {
    expect(
      await raw('/text-to-video/kling-3.0', { prompt: 'shot 1, 2, a; shot 2, 2, b;', settings: { duration: 5, multi_shot: false } }),
    ).toMatchObject({ code: 0 });
  });
});

describe('multiPrompt in the CLI (a request file, in process)', () => {
  async function cli(args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const ctx: CliContext = { output: { out: (t) => (out += `${t}\n`), err: (t) => (out += `${t}\n`), isTty: false }, json: false, exitCode: 0 };
    await buildProgram(ctx).parseAsync(args, { from: 'user' });
    return { code: ctx.exitCode, out };
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kv-shots-')), 'request.json');

  it('validate and estimate read the shots (6 s from their sum); lint reads their words; a bad shot is named', async () => {
    writeFileSync(file, JSON.stringify(t2v));
    const valid = await cli(['validate', '--request', file, '--json']);
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.out)).toMatchObject({ valid: true, request: { model: 'kling-3.0', durationSeconds: 6 } });
    expect((await cli(['estimate', '--request', file])).out).toMatch(/0\.6 units\/s × 6 s = 3\.6 units = 36 credits/);
    const lint = JSON.parse((await cli(['lint', '--request', file, '--json'])).out) as { words: number };
    expect(lint.words).toBeGreaterThan(15);

    writeFileSync(file, JSON.stringify({ ...t2v, duration: 8 }));
    const bad = await cli(['validate', '--request', file, '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.stringify(JSON.parse(bad.out))).toMatch(/multiPrompt\.2\.duration/);
  });

  it('--shot "<seconds>:<words>" (repeatable) builds multiPrompt; a malformed one names its flag', async () => {
    const shotsArgs = shots.flatMap((s) => ['--shot', `${s.duration}:${s.prompt}`]);
    const valid = await cli(['validate', '-m', 'kling-3.0', ...shotsArgs, '--json']);
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.out)).toMatchObject({ valid: true, request: { kind: 'text-to-video', durationSeconds: 6 } });
    // Thrown before validation (the CLI's main prints it and exits 2).
    await expect(cli(['validate', '-m', 'kling-3.0', '--shot', 'two seconds of fox', '--json'])).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/--shot\[0\]: give "<seconds>:<words>"/),
    });
    const zero = await cli(['validate', '-m', 'kling-3.0', '--shot', '0:a fox', '--shot', '5:a hare', '--json']);
    expect(JSON.stringify(JSON.parse(zero.out))).toMatch(/multiPrompt\.0\.duration/);
  });
});
