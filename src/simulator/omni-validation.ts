/**
 * Validation of `POST /omni-video/{model}` bodies (kling-3.0-omni, kling-o1), written from NEW §1.3, §3.3 and §7.1
 * [OFFICIAL OVG, O1]. Everything rejected answers HTTP 400 / code 1201 with a message naming the field.
 *
 * Switches, as for the other products: a settings field the model lacks follows `rejectUnknownFields`; combinations
 * the references call unsupported without a live observation follow `strictCapabilities` (lenient: Kling's documented
 * effect is applied instead, e.g. a feature video forces audio off).
 *
 * Not checkable here (only Kling can measure them): media sizes, a video's length, frame rate and pixel size, and an
 * element's type (a multi-image and a video-character element look alike by id, so every element counts against the
 * reference limit).
 */
import { z } from 'zod';
import { invalidParameter } from './errors.js';
import { shotProblem } from './multi-shot.js';
import { newBodyParts, type NewValidationSettings } from './new-validation.js';
import type { Resolution, TaskSpec } from './task-spec.js';
import { dropNulls, httpUrlSchema, zodErrorToKlingError } from './validation-errors.js';

type AudioMode = 'native' | 'original' | 'off';

export interface OmniModelCapabilities {
  /** First = default (720p). */
  readonly resolutions: readonly Resolution[];
  readonly durations: readonly number[];
  /** `settings.audio` values (default `off`). */
  readonly audioModes: readonly AudioMode[];
  readonly promptMaxChars: number;
  /** `settings.multi_shot` (default true) exists on kling-3.0-omni only. */
  readonly multiShot: boolean;
  /** Refer images + elements, without and with a reference video ("≤ 7 without a reference video, ≤ 4 with one"). */
  readonly maxReferences: { readonly withoutVideo: number; readonly withVideo: number };
  /** O1: "First frame with no other refs: 5 or 10 only". */
  readonly firstFrameOnlyDurations: readonly number[] | null;
  /** O1: "With both frames, no refer_image and no elements". */
  readonly bothFramesExclusive: boolean;
}

/** NEW §1.3 rows `kling-3.0-omni` and `kling-o1`, §3.3. */
export const OMNI_MODELS: Readonly<Record<string, OmniModelCapabilities>> = {
  'kling-3.0-omni': {
    resolutions: ['720p', '1080p', '4k'],
    durations: Array.from({ length: 13 }, (_, i) => i + 3),
    audioModes: ['native', 'original', 'off'],
    promptMaxChars: 3072,
    multiShot: true,
    maxReferences: { withoutVideo: 7, withVideo: 4 },
    firstFrameOnlyDurations: null,
    bothFramesExclusive: false,
  },
  'kling-o1': {
    resolutions: ['720p', '1080p'],
    durations: [3, 4, 5, 6, 7, 8, 9, 10],
    audioModes: ['original', 'off'], // "no native audio"
    promptMaxChars: 2500,
    multiShot: false,
    maxReferences: { withoutVideo: 7, withVideo: 4 },
    firstFrameOnlyDurations: [5, 10],
    bothFramesExclusive: true,
  },
};

export function omniModel(id: string): OmniModelCapabilities | undefined {
  return Object.hasOwn(OMNI_MODELS, id) ? OMNI_MODELS[id] : undefined;
}

const CONTENT_TYPES = ['prompt', 'first_frame', 'last_frame', 'refer_image', 'feature_video', 'base_video', 'element'] as const;

function buildSchema(settings: NewValidationSettings) {
  const { obj, nonEmpty, duration, image } = newBodyParts(settings);
  // NEW §1.3: "Video inputs … are URL only; there is no upload endpoint".
  const video = httpUrlSchema;
  const content = z.discriminatedUnion(
    'type',
    [
      obj({ type: z.literal('prompt'), text: z.string({ error: 'must be a string' }) }),
      obj({ type: z.literal('first_frame'), url: image, id: nonEmpty.optional() }),
      obj({ type: z.literal('last_frame'), url: image, id: nonEmpty.optional() }),
      obj({ type: z.literal('refer_image'), url: image, id: nonEmpty.optional() }),
      obj({ type: z.literal('feature_video'), url: video, id: nonEmpty.optional() }),
      obj({ type: z.literal('base_video'), url: video, id: nonEmpty.optional() }),
      // NEW §3.3: "elements a required one" (id).
      obj({ type: z.literal('element'), element_id: nonEmpty, id: nonEmpty }),
    ],
    { error: `must be one of ${CONTENT_TYPES.map((t) => `"${t}"`).join(', ')}` },
  );
  return obj({
    contents: z.array(content, { error: 'is required and must be an array' }).min(1, { error: 'must not be empty' }),
    settings: obj({
      resolution: z.enum(['720p', '1080p', '4k'], { error: 'must be one of "720p", "1080p", "4k"' }).optional(),
      aspect_ratio: z.enum(['16:9', '9:16', '1:1'], { error: 'must be one of "16:9", "9:16", "1:1"' }).optional(),
      duration: duration.optional(),
      audio: z.enum(['native', 'original', 'off'], { error: 'must be "native", "original" or "off"' }).optional(),
      multi_shot: z.boolean({ error: 'must be a boolean' }).optional(),
    }).optional(),
    options: obj({
      callback_url: httpUrlSchema.optional(),
      external_task_id: nonEmpty.optional(),
      watermark_info: obj({ enabled: z.boolean({ error: 'must be a boolean' }).optional() }).optional(),
    }).optional(),
  });
}

type OmniBody = z.infer<ReturnType<typeof buildSchema>>;
type Content = OmniBody['contents'][number];

const schemaCache = new Map<string, ReturnType<typeof buildSchema>>();
function schemaFor(settings: NewValidationSettings) {
  const key = JSON.stringify([settings.rejectUnknownFields, settings.acceptStringDuration, settings.acceptDataUriImages]);
  let schema = schemaCache.get(key);
  if (schema === undefined) {
    schema = buildSchema(settings);
    schemaCache.set(key, schema);
  }
  return schema;
}

/** Validates an omni-video create body for an existing omni model, or throws a 400/1201 `KlingApiError`. */
export function validateOmniCreate(
  modelId: string,
  caps: OmniModelCapabilities,
  rawBody: Record<string, unknown>,
  settings: NewValidationSettings,
): TaskSpec {
  const input = dropNulls(rawBody);
  for (const nested of ['settings', 'options'] as const) {
    const value = input[nested];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) input[nested] = dropNulls(value as Record<string, unknown>);
  }
  const parsed = schemaFor(settings).safeParse(input);
  if (!parsed.success) throw zodErrorToKlingError(parsed.error);
  const body = parsed.data;
  const modelSettings = { ...(body.settings ?? {}) };
  const strict = (message: string): void => {
    if (settings.strictCapabilities) throw invalidParameter(message);
  };
  const contents = body.contents;
  const count = (type: Content['type']) => contents.filter((item) => item.type === type).length;
  for (const single of ['prompt', 'first_frame', 'last_frame'] as const)
    if (count(single) > 1) throw invalidParameter(`contents must not contain more than one "${single}"`);

  // Prompt: NEW §1.3 limits; required (INFERRED: every documented omni example has one; the `@` references live in it).
  const promptItem = contents.find((item) => item.type === 'prompt');
  const prompt = promptItem?.type === 'prompt' ? promptItem.text : undefined;
  if (prompt === undefined || prompt.trim() === '') strict('contents must include a non-empty "prompt"');
  if (prompt !== undefined && prompt.length > caps.promptMaxChars)
    throw invalidParameter(`contents[].text must be at most ${caps.promptMaxChars} characters for ${modelId}`);

  const resolution = modelSettings.resolution ?? caps.resolutions[0] ?? '720p';
  if (!caps.resolutions.includes(resolution)) throw invalidParameter(`settings.resolution must be one of ${quote(caps.resolutions)} for ${modelId}`);
  const durationSeconds = modelSettings.duration ?? 5;
  if (!caps.durations.includes(durationSeconds))
    throw invalidParameter(`settings.duration must be an integer from ${caps.durations[0]} to ${caps.durations.at(-1)} for ${modelId}`);

  // Frames and videos (NEW §1.3, §3.3).
  const hasFirst = count('first_frame') === 1;
  const hasLast = count('last_frame') === 1;
  const videos = count('feature_video') + count('base_video');
  const hasBase = count('base_video') > 0;
  const hasFeature = count('feature_video') > 0;
  const referImages = count('refer_image');
  const elements = count('element');
  if (videos > 1) throw invalidParameter('contents must not contain more than one reference video (feature_video or base_video)');
  if (hasLast && !hasFirst) throw invalidParameter('contents: last_frame requires a first_frame (last-frame-only is not supported)');
  if (hasBase && (hasFirst || hasLast)) throw invalidParameter('contents: base_video does not allow first_frame or last_frame');
  const maxReferences = videos > 0 ? caps.maxReferences.withVideo : caps.maxReferences.withoutVideo;
  if (referImages + elements > maxReferences)
    throw invalidParameter(
      `contents: refer_image and element count must not exceed ${maxReferences} ${videos > 0 ? 'with' : 'without'} a reference video (got ${referImages + elements})`,
    );
  if (caps.bothFramesExclusive && hasFirst && hasLast && referImages + elements > 0)
    throw invalidParameter(`contents: first_frame + last_frame on ${modelId} allow no refer_image and no element`);
  if (
    caps.firstFrameOnlyDurations !== null &&
    hasFirst &&
    !hasLast &&
    referImages + elements + videos === 0 &&
    !caps.firstFrameOnlyDurations.includes(durationSeconds)
  )
    throw invalidParameter(`settings.duration must be one of ${caps.firstFrameOnlyDurations.join(', ')} for ${modelId} with only a first_frame`);

  // Audio (NEW §1.3): default off; feature_video forces off; base_video rules out native.
  let audioMode: AudioMode = modelSettings.audio ?? 'off';
  if (!caps.audioModes.includes(audioMode)) throw invalidParameter(`settings.audio must be one of ${quote(caps.audioModes)} for ${modelId}`);
  if (hasFeature && audioMode !== 'off') {
    strict('settings.audio must be "off" with a feature_video');
    audioMode = 'off';
  }
  if (hasBase && audioMode === 'native') {
    strict('settings.audio "native" is not supported with a base_video');
    audioMode = 'off';
  }
  if (audioMode === 'original' && !hasBase && !hasFeature) {
    strict('settings.audio "original" keeps the reference video\'s sound: it needs a base_video');
    audioMode = 'off';
  }

  if (modelSettings.multi_shot !== undefined && !caps.multiShot) {
    if (settings.rejectUnknownFields) throw invalidParameter(`settings.multi_shot is not supported by ${modelId}`);
    delete modelSettings.multi_shot;
  }
  const multiShot = caps.multiShot && modelSettings.multi_shot !== false; // defaults to true (NEW §1.3)
  if (multiShot && prompt !== undefined && /^\s*shot\s*\d/i.test(prompt)) {
    const problem = shotProblem(prompt, durationSeconds);
    if (problem !== undefined) throw invalidParameter(`contents[].text: ${problem}`);
  }
  // NEW §9 item 16: "required" with no first frame and no reference video per the note (the table says optional).
  if (modelSettings.aspect_ratio === undefined && !hasFirst && videos === 0)
    strict('settings.aspect_ratio is required without a first_frame or a reference video');

  // Ids (NEW §1.3: "Ids must be unique within a task") and the prompt's `@` references.
  const ids = contents.flatMap((item) => ('id' in item && item.id !== undefined ? [item.id] : []));
  if (new Set(ids).size !== ids.length) throw invalidParameter('contents[].id must be unique within a task');
  for (const match of (prompt ?? '').matchAll(/(?<![A-Za-z0-9_])@((?:image|video|element)_\d+)\b/g))
    if (!ids.includes(match[1]!)) strict(`contents[].text refers to @${match[1]}, which no content id names`);

  return {
    standard: 'new',
    product: 'omni-video',
    model: modelId,
    mode: undefined,
    resolution,
    durationSeconds,
    audio: audioMode === 'native',
    audioMode,
    voiceControl: false,
    videoInput: videos > 0,
    prompt,
    externalId: body.options?.external_task_id,
    callbackUrl: body.options?.callback_url,
    watermark: body.options?.watermark_info?.enabled === true,
    body: { ...body, ...(body.settings === undefined ? {} : { settings: modelSettings }) },
  };
}

function quote(values: readonly (string | number)[]): string {
  return values.map((value) => `"${value}"`).join(', ');
}
