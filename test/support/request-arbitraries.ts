// Generators of Kling requests for property-based tests: valid-looking ones (catalog-shaped, with random extra
// fields and wrong pairs) and hostile ones. Shared by test/security/request-fuzz.test.ts (client vs simulator) and
// test/security/validation-parity.test.ts (client's local validation vs the worker's).
import fc from 'fast-check';
import { createModelCatalog, VideoRequest } from '../../src/kling/index.js';

export const SCHEMA_KEYS = new Set(Object.keys(VideoRequest.shape));

export const catalog = createModelCatalog();
export const MODEL_NAMES = [...catalog.models.flatMap((m) => [m.id, ...m.aliases]), 'kling-3.0-omni', 'kling-9', 'KLING-2.6', '', ' kling-2.6'];
export const GOOD_PROMPT = 'A red fox trots through fresh snow at dawn, tracking shot, soft light, cinematic';
export const URL_IMAGE = fc.constantFrom('https://example.com/a.png', 'http://example.com/b.jpg?x=1', 'https://cdn.example.org/path/to/image.jpeg');
export const BASE64_IMAGE = fc.constantFrom(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'QUJD',
  'QUI=',
);
export const BAD_IMAGE = fc.constantFrom(
  'data:image/png;base64,iVBORw0KGgo=',
  'DATA:image/png;base64,QUJD',
  'data:,hello',
  'ftp://example.com/a.png',
  'not an image',
  '',
  'file:///etc/passwd',
  '../../etc/passwd',
  // Internal addresses: refused by the default image-URL policy (src/kling/media-url.ts).
  'http://127.0.0.1:8080/a.png',
  'https://169.254.169.254/latest/meta-data/',
  'https://[::ffff:169.254.169.254]/a.png',
  'https://localhost/a.png',
);
export const EDGE_IMAGE = fc.oneof(
  fc.constantFrom('https://', 'http://exa mple.com/a.png', 'https://[::1', 'https://example.com:99999/a.png', 'AAAAA', 'A', 'AB=C'),
  fc.stringMatching(/^[A-Za-z0-9+/]{1,12}={0,2}$/),
);
export const IMAGE = fc.oneof(
  { weight: 4, arbitrary: URL_IMAGE },
  { weight: 2, arbitrary: BASE64_IMAGE },
  { weight: 2, arbitrary: BAD_IMAGE },
  { weight: 1, arbitrary: EDGE_IMAGE },
);
export const AXIS = fc.oneof(fc.constant(0), fc.integer({ min: -12, max: 12 }), fc.double({ min: -11, max: 11, noNaN: true }));
export const CAMERA = fc.oneof(
  fc.record(
    {
      type: fc.constant('simple'),
      config: fc.record({ horizontal: AXIS, vertical: AXIS, pan: AXIS, tilt: AXIS, roll: AXIS, zoom: AXIS }, { requiredKeys: [] }),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    { type: fc.constantFrom('down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward', 'orbit'), config: fc.constant({ zoom: 1 }) },
    { requiredKeys: ['type'] },
  ),
  fc.anything({ maxDepth: 2 }),
);
export const POINT = fc.record({
  x: fc.integer({ min: -5, max: 2000 }),
  y: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double({ noNaN: true })),
});
export const MASKS = fc.array(fc.record({ mask: IMAGE, trajectories: fc.array(POINT, { minLength: 0, maxLength: 80 }) }), {
  minLength: 0,
  maxLength: 7,
});
export const REF = (idKey: 'voiceId' | 'elementId') =>
  fc.array(
    fc.record(
      { [idKey]: fc.oneof(fc.constant('v-1'), fc.string({ maxLength: 6 })), id: fc.constantFrom('1', '2', '', 'a') },
      { requiredKeys: [idKey] },
    ),
    { minLength: 0, maxLength: 4 },
  );
export const DURATION = fc.oneof(
  fc.integer({ min: -1, max: 16 }),
  fc.integer({ min: -1, max: 16 }).map(String),
  fc.constantFrom(5.5, '5.5', '05', ' 5', '', Number.NaN, Infinity, 1e21, '1e1', 10),
);
export const PROMPT = fc.oneof(
  { weight: 6, arbitrary: fc.constant(GOOD_PROMPT) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 2, arbitrary: fc.integer({ min: 2400, max: 3200 }).map((n) => `${GOOD_PROMPT} `.repeat(Math.ceil(n / 80)).slice(0, n)) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '\u0000\u202e', '[sim:fail boom]') },
  { weight: 1, arbitrary: fc.constant('huge '.repeat(100_000)) }, // 500 kB
);
export const UNKNOWN_FIELD = fc.constantFrom(
  'enable_audio',
  'model_name',
  'sound',
  'mode_name',
  'external_task_id',
  'constructor',
  'toString',
  'Duration',
  'prompt ',
);

/** Every request field with mostly plausible, sometimes wrong values. */
export const FIELD_VALUES = {
  model: fc.constantFrom(...MODEL_NAMES),
  kind: fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom('text-to-video', 'image-to-video') },
    { weight: 1, arbitrary: fc.constantFrom('video-to-video', '') },
  ),
  standard: fc.constantFrom('new', 'legacy', 'v3'),
  prompt: PROMPT,
  negativePrompt: fc.oneof(
    fc.constant('blurry, low quality'),
    fc.integer({ min: 2499, max: 2502 }).map((n) => 'x'.repeat(n)),
  ),
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
export const FIELD_NAMES = Object.keys(FIELD_VALUES) as Array<keyof typeof FIELD_VALUES>;
export const allFields = fc.record(FIELD_VALUES);

/** A request the catalog should mostly accept: a served model with one of its kinds, durations and resolutions. */
export const catalogCore = fc.constantFrom(...catalog.models.filter((m) => !m.discontinued)).chain((m) =>
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
export const plausibleRequest = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(catalogCore, allFields, fc.shuffledSubarray(FIELD_NAMES, { minLength: 0, maxLength: 3 })).map(([core, fields, keys]) => {
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
          fc.tuple(
            fc.constantFrom(...SCHEMA_KEYS),
            fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object({ maxDepth: 1 })),
          ),
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
export const junk = fc.oneof(
  fc.anything({
    maxDepth: 4,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: true,
    withSparseArray: true,
  }),
  fc.dictionary(fc.constantFrom(...SCHEMA_KEYS, '__proto__', 'constructor', 'extra'), fc.anything({ maxDepth: 3, withNullPrototype: true }), {
    maxKeys: 8,
  }),
  fc.jsonValue({ maxDepth: 4 }),
);
