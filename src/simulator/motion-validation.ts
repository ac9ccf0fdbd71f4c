/**
 * Validation of `POST /motion-control/{model}` bodies (kling-3.0, kling-2.6), written from NEW §1.3, §3.3 and §7.1
 * [OFFICIAL MC]. Everything rejected answers HTTP 400 / code 1201 with a message naming the field.
 *
 * The output follows the motion video, whose length only Kling can measure (3–30 s with `character_orientation:
 * video`, ≤ 10 s with `image`); the simulator renders `MOTION_OUTPUT_SECONDS` and bills them ("Deduction is
 * calculated based on the output video duration", rounded to whole seconds).
 */
import { z } from 'zod';
import { invalidParameter } from './errors.js';
import { newBodyParts, type NewValidationSettings } from './new-validation.js';
import type { Resolution, TaskSpec } from './task-spec.js';
import { dropNulls, httpUrlSchema, zodErrorToKlingError } from './validation-errors.js';

export interface MotionModelCapabilities {
  readonly resolutions: readonly Resolution[];
  /** `element` contents: ≤ 1 on 3.0, none on 2.6. */
  readonly maxElements: number;
}

/** NEW §1.3 row "`kling-3.0` / `kling-2.6` motion". */
export const MOTION_MODELS: Readonly<Record<string, MotionModelCapabilities>> = {
  'kling-3.0': { resolutions: ['720p', '1080p'], maxElements: 1 },
  'kling-2.6': { resolutions: ['720p', '1080p'], maxElements: 0 },
};

/** The simulated output length (the motion video is not fetched). */
export const MOTION_OUTPUT_SECONDS = 5;

export function motionModel(id: string): MotionModelCapabilities | undefined {
  return Object.hasOwn(MOTION_MODELS, id) ? MOTION_MODELS[id] : undefined;
}

const PROMPT_MAX = 2500; // NEW §1.3: 2500 unless stated otherwise

function buildSchema(settings: NewValidationSettings) {
  const { obj, nonEmpty, image } = newBodyParts(settings);
  const content = z.discriminatedUnion(
    'type',
    [
      obj({ type: z.literal('prompt'), text: z.string({ error: 'must be a string' }) }),
      obj({ type: z.literal('image'), url: image }),
      // NEW §1.3: video inputs are URL only.
      obj({ type: z.literal('video'), url: httpUrlSchema }),
      obj({ type: z.literal('element'), element_id: nonEmpty, id: nonEmpty }),
    ],
    { error: 'must be one of "prompt", "image", "video", "element"' },
  );
  return obj({
    contents: z.array(content, { error: 'is required and must be an array' }).min(1, { error: 'must not be empty' }),
    settings: obj({
      resolution: z.enum(['720p', '1080p', '4k'], { error: 'must be one of "720p", "1080p"' }).optional(),
      character_orientation: z.enum(['image', 'video'], { error: 'is required: "image" or "video"' }),
      audio: z.enum(['original', 'off'], { error: 'must be "original" or "off"' }).optional(),
    }),
    options: obj({
      callback_url: httpUrlSchema.optional(),
      external_task_id: nonEmpty.optional(),
      watermark_info: obj({ enabled: z.boolean({ error: 'must be a boolean' }).optional() }).optional(),
    }).optional(),
  });
}

const schemaCache = new Map<string, ReturnType<typeof buildSchema>>();
function schemaFor(settings: NewValidationSettings) {
  const key = JSON.stringify([settings.rejectUnknownFields, settings.acceptDataUriImages]);
  let schema = schemaCache.get(key);
  if (schema === undefined) {
    schema = buildSchema(settings);
    schemaCache.set(key, schema);
  }
  return schema;
}

/** Validates a motion-control create body, or throws a 400/1201 `KlingApiError`. */
export function validateMotionCreate(
  modelId: string,
  caps: MotionModelCapabilities,
  rawBody: Record<string, unknown>,
  settings: NewValidationSettings,
): TaskSpec {
  const input = dropNulls(rawBody);
  for (const nested of ['settings', 'options'] as const) {
    const value = input[nested];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) input[nested] = dropNulls(value as Record<string, unknown>);
  }
  if (input.settings === undefined) throw invalidParameter('settings.character_orientation is required: "image" or "video"');
  const parsed = schemaFor(settings).safeParse(input);
  if (!parsed.success) throw zodErrorToKlingError(parsed.error);
  const body = parsed.data;
  const count = (type: string) => body.contents.filter((item) => item.type === type).length;
  for (const single of ['prompt', 'image', 'video'] as const)
    if (count(single) > 1) throw invalidParameter(`contents must not contain more than one "${single}"`);
  if (count('image') === 0) throw invalidParameter('contents must include an "image" (the character)');
  if (count('video') === 0) throw invalidParameter('contents must include a "video" (the motion reference)');
  if (count('element') > caps.maxElements)
    throw invalidParameter(
      caps.maxElements === 0
        ? `contents[].type "element" is not supported by motion control on ${modelId}`
        : `contents must not contain more than ${caps.maxElements} element`,
    );
  const promptItem = body.contents.find((item) => item.type === 'prompt');
  const prompt = promptItem?.type === 'prompt' ? promptItem.text : undefined;
  if (prompt !== undefined && prompt.length > PROMPT_MAX) throw invalidParameter(`contents[].text must be at most ${PROMPT_MAX} characters`);
  const resolution = body.settings.resolution ?? caps.resolutions[0] ?? '720p';
  if (!caps.resolutions.includes(resolution))
    throw invalidParameter(`settings.resolution must be one of ${caps.resolutions.map((r) => `"${r}"`).join(', ')} for motion control`);
  const audioMode = body.settings.audio ?? 'original'; // NEW §1.3: default `original`
  return {
    standard: 'new',
    product: 'motion-control',
    model: modelId,
    mode: undefined,
    resolution,
    durationSeconds: MOTION_OUTPUT_SECONDS,
    audio: false,
    audioMode,
    voiceControl: false,
    prompt,
    externalId: body.options?.external_task_id,
    callbackUrl: body.options?.callback_url,
    watermark: body.options?.watermark_info?.enabled === true,
    body,
  };
}
