// Property-based fuzzing of the request model: thousands of generated requests (valid-looking and hostile)
// through KlingClient.createTask against the in-process simulator over HTTP.
// - Refused requests throw only KlingValidationError / KlingCredentialsError (never TypeError & co.),
//   reach the simulator not at all, and every issue names a real field of the request.
// - Requests the client accepts are accepted by the simulator (HTTP 200, a task is created): the two were
//   written independently, so a disagreement is a finding.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelCatalog, KlingClient, KlingCredentialsError, KlingValidationError, VideoRequest } from '../../src/kling/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

const SEED = Number(process.env.KT_FUZZ_SEED ?? 20261128);
const RUNS = Number(process.env.KT_FUZZ_RUNS ?? 2000);

let sim: Simulator;
let both: KlingClient; // API key + AK/SK: both standards
let akOnly: KlingClient; // legacy only: new-standard-only models must be refused with KlingCredentialsError
let counter = 0;

beforeAll(async () => {
  sim = await startSimulator({ schedule: { submittedMs: 1, processingMs: 1 }, concurrency: { limit: 1_000_000, bucket: 'model' }, unitBalance: 1e12 });
  both = new KlingClient({ baseUrl: sim.url, credentials: { apiKey: 'sim-api-key', accessKey: 'sim-ak', secretKey: 'sim-sk' }, requestTimeoutMs: 5_000 });
  akOnly = new KlingClient({ baseUrl: sim.url, credentials: { accessKey: 'sim-ak', secretKey: 'sim-sk' }, requestTimeoutMs: 5_000 });
});
afterAll(async () => {
  await sim?.close();
});

const SCHEMA_KEYS = new Set(Object.keys(VideoRequest.shape));
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Splits an issue's field as formatFieldPath writes it (`a.b.0`, `a["odd.key"]`, `[""]`) into paths; the
 * resolver names a conflict between fields as `imageTail, cameraControl` or `staticMask/dynamicMasks`.
 */
function parseFieldPaths(field: string): string[][] | undefined {
  const paths: string[][] = [[]];
  const token = /(^|\.|, |\/)([A-Za-z0-9_$-]+)|(, |\/)?\[("(?:[^"\\]|\\.)*")\]/y;
  let at = 0;
  while (at < field.length) {
    token.lastIndex = at;
    const m = token.exec(field);
    if (!m) return undefined;
    const sep = m[1] ?? m[3];
    if (sep === ', ' || sep === '/') paths.push([]);
    paths.at(-1)!.push(m[2] ?? (JSON.parse(m[4]!) as string));
    at = token.lastIndex;
  }
  return paths.every((p) => p.length > 0) ? paths : undefined;
}

/**
 * An issue's field must name the request: `(request)` only when the input is not an object; otherwise every
 * path in it starts with a request key (or a key the caller sent) and its parent exists in the input.
 */
function fieldProblem(field: string, input: unknown): string | undefined {
  if (typeof field !== 'string' || field.trim() === '') return 'empty field';
  if (field === '(request)') return isPlainObject(input) ? '(request) for an object input' : undefined;
  if (!isPlainObject(input)) return `field "${field}" for a non-object input`;
  const paths = parseFieldPaths(field);
  if (!paths) return 'not a field path';
  for (const segments of paths) {
    const [first] = segments;
    if (first === undefined || !(SCHEMA_KEYS.has(first) || Object.hasOwn(input, first))) return `"${segments.join('.')}" is not a request key`;
    let node: unknown = input;
    for (const seg of segments.slice(0, -1)) {
      if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return `"${segments.join('.')}": no "${seg}" in the input`;
      node = (node as Record<string, unknown>)[seg];
    }
  }
  return undefined;
}

/**
 * Client/simulator disagreements found by this fuzzer and reported (docs/security.md, "Findings"). Neither side
 * was changed to match the other: the simulator is written from the references on purpose. Anything not listed
 * here fails the test. Remove an entry when the disagreement is resolved.
 */
// Cases where the client accepts and the simulator refuses, each explained. Empty: the three found by this
// fuzzer (URL/base64 shape, kling-v1-5 motion brush mode, kling-2.6 end frame with audio) were client bugs, fixed.
const KNOWN_DISAGREEMENTS: Array<{ pattern: RegExp; why: string }> = [];

type Outcome = { kind: 'sent' } | { kind: 'refused'; error: unknown };

async function send(client: KlingClient, request: unknown): Promise<Outcome> {
  try {
    await client.createTask(request);
    return { kind: 'sent' };
  } catch (error) {
    return { kind: 'refused', error };
  }
}

/** Checks a refusal: typed error, fields named, nothing reached the simulator. */
function expectCleanRefusal(error: unknown, input: unknown, before: number): void {
  if (!(error instanceof KlingValidationError || error instanceof KlingCredentialsError))
    throw new Error(`crash: ${(error as Error)?.name}: ${(error as Error)?.message} for ${safeJson(input)}`);
  expect(sim.requests.length, `a refused request reached the simulator: ${safeJson(input)}`).toBe(before);
  if (error instanceof KlingValidationError) {
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      const problem = fieldProblem(issue.field, input);
      if (problem) throw new Error(`issue ${JSON.stringify(issue)} does not name a field (${problem}) for ${safeJson(input)}`);
      expect(typeof issue.message === 'string' && issue.message.length > 0).toBe(true);
    }
  } else expect(error.message).toMatch(/API key|credentials/);
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' && x.length > 80 ? `${x.slice(0, 40)}…(${x.length})` : typeof x === 'bigint' ? `${x}n` : x));
    return s === undefined ? String(v) : s.slice(0, 1500);
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Generators

const catalog = createModelCatalog();
const MODEL_NAMES = [...catalog.models.flatMap((m) => [m.id, ...m.aliases]), 'kling-3.0-omni', 'kling-9', 'KLING-2.6', '', ' kling-2.6'];
const GOOD_PROMPT = 'A red fox trots through fresh snow at dawn, tracking shot, soft light, cinematic';
const URL_IMAGE = fc.constantFrom('https://example.com/a.png', 'http://example.com/b.jpg?x=1', 'https://cdn.example.org/path/to/image.jpeg');
const BASE64_IMAGE = fc.constantFrom('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'QUJD', 'QUI=');
const BAD_IMAGE = fc.constantFrom(
  'data:image/png;base64,iVBORw0KGgo=',
  'DATA:image/png;base64,QUJD',
  'data:,hello',
  'ftp://example.com/a.png',
  'not an image',
  '',
  'file:///etc/passwd',
  '../../etc/passwd',
);
const EDGE_IMAGE = fc.oneof(
  fc.constantFrom('https://', 'http://exa mple.com/a.png', 'https://[::1', 'https://example.com:99999/a.png', 'AAAAA', 'A', 'AB=C'),
  fc.stringMatching(/^[A-Za-z0-9+/]{1,12}={0,2}$/),
);
const IMAGE = fc.oneof({ weight: 4, arbitrary: URL_IMAGE }, { weight: 2, arbitrary: BASE64_IMAGE }, { weight: 2, arbitrary: BAD_IMAGE }, { weight: 1, arbitrary: EDGE_IMAGE });
const AXIS = fc.oneof(fc.constant(0), fc.integer({ min: -12, max: 12 }), fc.double({ min: -11, max: 11, noNaN: true }));
const CAMERA = fc.oneof(
  fc.record({ type: fc.constant('simple'), config: fc.record({ horizontal: AXIS, vertical: AXIS, pan: AXIS, tilt: AXIS, roll: AXIS, zoom: AXIS }, { requiredKeys: [] }) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constantFrom('down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward', 'orbit'), config: fc.constant({ zoom: 1 }) }, { requiredKeys: ['type'] }),
  fc.anything({ maxDepth: 2 }),
);
const POINT = fc.record({ x: fc.integer({ min: -5, max: 2000 }), y: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double({ noNaN: true })) });
const MASKS = fc.array(fc.record({ mask: IMAGE, trajectories: fc.array(POINT, { minLength: 0, maxLength: 80 }) }), { minLength: 0, maxLength: 7 });
const REF = (idKey: 'voiceId' | 'elementId') =>
  fc.array(fc.record({ [idKey]: fc.oneof(fc.constant('v-1'), fc.string({ maxLength: 6 })), id: fc.constantFrom('1', '2', '', 'a') }, { requiredKeys: [idKey] }), { minLength: 0, maxLength: 4 });
const DURATION = fc.oneof(
  fc.integer({ min: -1, max: 16 }),
  fc.integer({ min: -1, max: 16 }).map(String),
  fc.constantFrom(5.5, '5.5', '05', ' 5', '', Number.NaN, Infinity, 1e21, '1e1', 10),
);
const PROMPT = fc.oneof(
  { weight: 6, arbitrary: fc.constant(GOOD_PROMPT) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 2, arbitrary: fc.integer({ min: 2400, max: 3200 }).map((n) => `${GOOD_PROMPT} `.repeat(Math.ceil(n / 80)).slice(0, n)) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '\u0000\u202e', '[sim:fail boom]') },
  { weight: 1, arbitrary: fc.constant('huge '.repeat(100_000)) }, // 500 kB
);
const UNKNOWN_FIELD = fc.constantFrom('enable_audio', 'model_name', 'sound', 'mode_name', 'external_task_id', 'constructor', 'toString', 'Duration', 'prompt ');

/** Every request field with mostly plausible, sometimes wrong values. */
const FIELD_VALUES = {
  model: fc.constantFrom(...MODEL_NAMES),
  kind: fc.oneof({ weight: 9, arbitrary: fc.constantFrom('text-to-video', 'image-to-video') }, { weight: 1, arbitrary: fc.constantFrom('video-to-video', '') }),
  standard: fc.constantFrom('new', 'legacy', 'v3'),
  prompt: PROMPT,
  negativePrompt: fc.oneof(fc.constant('blurry, low quality'), fc.integer({ min: 2499, max: 2502 }).map((n) => 'x'.repeat(n))),
  cfgScale: fc.oneof(fc.double({ min: -0.5, max: 1.5, noNaN: true }), fc.constantFrom(0, 0.5, 1)),
  resolution: fc.constantFrom('720p', '1080p', '4k', '8k'),
  mode: fc.constantFrom('std', 'pro', '4k', 'ultra'),
  aspectRatio: fc.constantFrom('16:9', '9:16', '1:1', '4:3'),
  duration: DURATION,
  audio: fc.boolean(),
  multiShot: fc.boolean(),
  cameraControl: CAMERA,
  image: IMAGE,
  imageTail: IMAGE,
  staticMask: IMAGE,
  dynamicMasks: MASKS,
  voices: REF('voiceId'),
  elements: REF('elementId'),
  callbackUrl: fc.constantFrom('https://example.com/hook', 'http://example.com/h?x=1', 'ftp://example.com/h', 'not a url', 'javascript:alert(1)'),
  watermark: fc.boolean(),
};
const FIELD_NAMES = Object.keys(FIELD_VALUES) as Array<keyof typeof FIELD_VALUES>;
const allFields = fc.record(FIELD_VALUES);

/** A request the catalog should mostly accept: a served model with one of its kinds, durations and resolutions. */
const catalogCore = fc.constantFrom(...catalog.models.filter((m) => !m.discontinued)).chain((m) =>
  fc.record(
    {
      model: fc.constantFrom(m.id, ...m.aliases),
      kind: fc.constantFrom(...m.kinds),
      duration: fc.constantFrom(...m.durations).chain((d) => fc.constantFrom<number | string>(d, String(d))),
      resolution: fc.constantFrom(...m.resolutions),
      prompt: fc.constant(GOOD_PROMPT),
      image: URL_IMAGE,
      audio: fc.boolean(),
    },
    { requiredKeys: ['model', 'kind', 'prompt'] },
  ),
);

/** Valid-looking requests: a catalog-shaped core plus up to three fields drawn at random (mixed features, wrong pairs). */
const plausibleRequest = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(catalogCore, allFields, fc.shuffledSubarray(FIELD_NAMES, { minLength: 0, maxLength: 3 }))
      .map(([core, fields, keys]) => {
        const out: Record<string, unknown> = { ...core };
        if (core.kind === 'text-to-video') delete out.image;
        for (const k of keys) out[k] = fields[k];
        return out;
      }),
  },
  {
    weight: 1,
    // Chaos: any subset of fields, sometimes no model/kind, a wrong type or an unknown field.
    arbitrary: fc
      .record({
        fields: fc.record(FIELD_VALUES, { requiredKeys: [] }),
        unknown: fc.option(fc.tuple(UNKNOWN_FIELD, fc.anything({ maxDepth: 1 })), { freq: 4 }),
        wrongType: fc.option(
          fc.tuple(fc.constantFrom(...SCHEMA_KEYS), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object({ maxDepth: 1 }))),
          { freq: 4 },
        ),
        missing: fc.option(fc.constantFrom('model', 'kind'), { freq: 4 }),
      })
      .map(({ fields, unknown, wrongType, missing }) => {
        const out: Record<string, unknown> = { model: 'kling-2.6', kind: 'text-to-video', ...fields };
        if (missing) delete out[missing];
        if (unknown) out[unknown[0]] = unknown[1];
        if (wrongType) out[wrongType[0]] = wrongType[1];
        return out;
      }),
  },
);

/** Anything at all: primitives, arrays, deep objects, prototype-ish keys, with or without real field names. */
const junk = fc.oneof(
  fc.anything({ maxDepth: 4, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true }),
  fc.dictionary(fc.constantFrom(...SCHEMA_KEYS, '__proto__', 'constructor', 'extra'), fc.anything({ maxDepth: 3, withNullPrototype: true }), { maxKeys: 8 }),
  fc.jsonValue({ maxDepth: 4 }),
);

// ---------------------------------------------------------------------------------------------------------

describe('fuzzing the request model through KlingClient.createTask against the simulator', () => {
  it(`valid-looking requests (${RUNS} runs): accepted ones are accepted by the simulator, refused ones never reach it`, async () => {
    const disagreements: string[] = [];
    let sent = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(plausibleRequest, fc.boolean(), async (request, withApiKey) => {
        const client = withApiKey ? both : akOnly;
        const input = { ...request, externalTaskId: `fuzz-${++counter}` };
        const before = sim.requests.length;
        let resolvedOk = true;
        try {
          client.resolve(input);
        } catch {
          resolvedOk = false;
        }
        const outcome = await send(client, input);
        if (outcome.kind === 'refused') {
          if (resolvedOk) {
            // The client accepted it; the simulator (or transport) refused.
            const last = sim.requests.at(-1);
            disagreements.push(`${(outcome.error as Error).message} :: ${last?.method} ${last?.path} ${safeJson(last?.body)}`);
            return;
          }
          refused++;
          expectCleanRefusal(outcome.error, input, before);
        } else {
          sent++;
          const created = sim.requests.slice(before);
          expect(created).toHaveLength(1);
          expect(created[0]?.status).toBe(200);
          expect(created[0]?.createdTaskId).toBeTruthy();
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // The generator must exercise both sides.
    expect(sent).toBeGreaterThan(RUNS / 20);
    expect(refused).toBeGreaterThan(RUNS / 4);
    const unexplained = disagreements.filter((d) => !KNOWN_DISAGREEMENTS.some((k) => k.pattern.test(d)));
    if (process.env.KT_FUZZ_DUMP) console.log(disagreements.join('\n'));
    expect(unexplained, `client accepted, simulator refused (new finding):\n${unexplained.slice(0, 20).join('\n')}`).toEqual([]);
  });

  it(`arbitrary values and random nesting (${RUNS} runs): typed refusal naming a field, nothing sent`, async () => {
    await fc.assert(
      fc.asyncProperty(junk, async (input) => {
        const before = sim.requests.length;
        const outcome = await send(both, input);
        if (outcome.kind === 'sent') {
          // Only possible if the junk happens to be a valid request; then the simulator accepted it.
          expect(sim.requests.at(-1)?.status).toBe(200);
          return;
        }
        expectCleanRefusal(outcome.error, input, before);
      }),
      { numRuns: RUNS, seed: SEED + 1 },
    );
  });

  it('wireRequest and resolve refuse the same way (no partial body is ever built for a refused request)', () => {
    fc.assert(
      fc.property(plausibleRequest, (request) => {
        const a = (() => {
          try {
            both.resolve(request);
            return 'ok';
          } catch (e) {
            return (e as Error).message;
          }
        })();
        const b = (() => {
          try {
            both.wireRequest(request);
            return 'ok';
          } catch (e) {
            return (e as Error).message;
          }
        })();
        expect(b).toBe(a);
      }),
      { numRuns: 300, seed: SEED + 2 },
    );
  });
});
