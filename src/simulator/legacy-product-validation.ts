/**
 * Validation of the legacy omni-video and motion-control creates (`POST /v1/videos/omni-video`,
 * `POST /v1/videos/motion-control`). The legacy bodies are checked for their own shape here, then mapped onto the
 * new-standard bodies and validated by omni-validation.ts / motion-validation.ts, so both standards enforce the same
 * limits (reference counts, frames, durations, audio exclusions, multi-shot); a refusal names the legacy field.
 *
 * Sources and assumptions (docs/products.md "Which standard"):
 * - Omni: REF §1.2 documents the path and the names `kling-v3-omni`, `kling-video-o1` [OBSERVED]; the body is
 *   third-party (ArcReel `lib/video_backends/kling_omni.py`): `model_name`, `mode` (std/pro/4k), `duration` as a
 *   string, `sound` on/off, `aspect_ratio`, `image_list[{image_url, type?: first_frame|end_frame}]`,
 *   `video_list[{video_url, refer_type: feature|base, keep_original_sound: yes|no}]`, `element_list[{element_id}]`,
 *   `multi_shot`/`shot_type`/`multi_prompt` (REF §3.1 [3P], live-confirmed on omni). The prompt refers to contents as
 *   `<<<image_1>>>` by position (images without a `type` are the reference images, numbered in order).
 * - Motion control: REF §3.4 [OFFICIAL S2] `image_url`, `video_url`, `character_orientation`, `mode`,
 *   `keep_original_sound` yes/no, `prompt`; no model field. `model_name` (`kling-v3`, `kling-v2-6`) is accepted as
 *   third-party clients send it; absent, the simulator assumes `kling-v2-6` (REF §1.2 "Motion control (v2.6/v3)":
 *   the first motion model; Kling's real default is unknown).
 */
import { z } from 'zod';
import { invalidParameter, KlingApiError } from './errors.js';
import { imageInputSchema } from './image-input.js';
import { MOTION_MODELS, validateMotionCreate } from './motion-validation.js';
import type { NewValidationSettings } from './new-validation.js';
import { OMNI_MODELS, validateOmniCreate } from './omni-validation.js';
import type { Resolution, TaskSpec } from './task-spec.js';
import { dropNulls, httpUrlSchema, objectSchema, zodErrorToKlingError } from './validation-errors.js';

/** Legacy `model_name` → the new-standard model whose limits apply (NEW §1.2). */
export const LEGACY_OMNI_MODELS: Readonly<Record<string, keyof typeof OMNI_MODELS>> = {
  'kling-v3-omni': 'kling-3.0-omni',
  'kling-video-o1': 'kling-o1',
};
export const LEGACY_MOTION_MODELS: Readonly<Record<string, keyof typeof MOTION_MODELS>> = {
  'kling-v3': 'kling-3.0',
  'kling-v2-6': 'kling-2.6',
};
/** Assumed when a legacy motion-control body names no model (the reference gives none). */
export const LEGACY_MOTION_DEFAULT_MODEL = 'kling-v2-6';

const MODE_RESOLUTION: Readonly<Record<string, Resolution>> = { std: '720p', pro: '1080p', '4k': '4k' };
const LEGACY_IMAGE_RULES = { maxBytes: 10 * 1024 * 1024, allowDataUri: false } as const; // REF §3.2 (legacy: 10 MB)
const legacyDuration = z
  .string({ error: (issue) => (typeof issue.input === 'number' ? 'must be a string such as "5", not a number' : 'must be a string') })
  .regex(/^\d+$/, { error: 'must be a whole number of seconds as a string, such as "5"' });

/** New-standard names in the shared validators' messages → the legacy fields they come from. */
const FIELD_NAMES: ReadonlyArray<[RegExp, string]> = [
  [/contents\[\]\.text/g, 'prompt'],
  [/settings\.duration/g, 'duration'],
  [/settings\.aspect_ratio/g, 'aspect_ratio'],
  [/settings\.multi_shot/g, 'multi_shot'],
  [/settings\.character_orientation/g, 'character_orientation'],
  [/settings\.audio/g, 'sound/keep_original_sound'],
  [/settings\.resolution/g, 'mode'],
  [/\blast_frame\b/g, 'end_frame'],
  [/\brefer_image\b/g, 'image_list reference image'],
  [/\bfeature_video\b/g, 'video_list refer_type "feature"'],
  [/\bbase_video\b/g, 'video_list refer_type "base"'],
  [/contents(?=[: ])/g, 'image_list/video_list/element_list'],
];

function withLegacyNames<T>(validate: () => T): T {
  try {
    return validate();
  } catch (err) {
    if (!(err instanceof KlingApiError)) throw err;
    const message = FIELD_NAMES.reduce((text, [pattern, name]) => text.replace(pattern, name), err.message);
    throw new KlingApiError(err.httpStatus, err.code, message);
  }
}

function options(rejectUnknown: boolean) {
  const nonEmpty = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });
  return {
    nonEmpty,
    common: {
      callback_url: httpUrlSchema.optional(),
      external_task_id: nonEmpty.optional(),
      watermark_info: objectSchema({ enabled: z.boolean({ error: 'must be a boolean' }).optional() }, rejectUnknown).optional(),
    },
  };
}

function omniSchema(rejectUnknown: boolean) {
  const obj = <T extends z.ZodRawShape>(shape: T) => objectSchema(shape, rejectUnknown);
  const { nonEmpty, common } = options(rejectUnknown);
  const image = imageInputSchema(LEGACY_IMAGE_RULES);
  return obj({
    model_name: z.enum(Object.keys(LEGACY_OMNI_MODELS) as [string, ...string[]], {
      error: `is required for omni-video: one of ${Object.keys(LEGACY_OMNI_MODELS).join(', ')}`,
    }),
    prompt: z.string({ error: 'must be a string' }).optional(),
    multi_shot: z.boolean({ error: 'must be a boolean' }).optional(),
    shot_type: z.enum(['customize', 'intelligence'], { error: 'must be "customize" or "intelligence"' }).optional(),
    multi_prompt: z
      .array(obj({ index: z.number({ error: 'must be an integer' }).int(), prompt: nonEmpty, duration: legacyDuration }), {
        error: 'must be an array',
      })
      .optional(),
    mode: z.enum(['std', 'pro', '4k'], { error: 'must be one of "std", "pro", "4k"' }).optional(),
    aspect_ratio: z.enum(['16:9', '9:16', '1:1'], { error: 'must be one of "16:9", "9:16", "1:1"' }).optional(),
    duration: legacyDuration.optional(),
    sound: z.enum(['on', 'off'], { error: 'must be "on" or "off"' }).optional(),
    image_list: z
      .array(obj({ image_url: image, type: z.enum(['first_frame', 'end_frame'], { error: 'must be "first_frame" or "end_frame"' }).optional() }), {
        error: 'must be an array',
      })
      .optional(),
    video_list: z
      .array(
        obj({
          // NEW §1.3: video inputs are URL only.
          video_url: httpUrlSchema,
          refer_type: z.enum(['feature', 'base'], { error: 'must be "feature" or "base"' }),
          keep_original_sound: z.enum(['yes', 'no'], { error: 'must be "yes" or "no"' }).optional(),
        }),
        { error: 'must be an array' },
      )
      .optional(),
    element_list: z.array(obj({ element_id: z.union([nonEmpty, z.number().int().positive()]) }), { error: 'must be an array' }).optional(),
    ...common,
  });
}

function motionSchema(rejectUnknown: boolean) {
  const { common } = options(rejectUnknown);
  return objectSchema(
    {
      model_name: z
        .enum(Object.keys(LEGACY_MOTION_MODELS) as [string, ...string[]], {
          error: `must be one of ${Object.keys(LEGACY_MOTION_MODELS).join(', ')} for motion-control`,
        })
        .optional(),
      prompt: z.string({ error: 'must be a string' }).optional(),
      image_url: imageInputSchema(LEGACY_IMAGE_RULES),
      video_url: httpUrlSchema,
      character_orientation: z.enum(['image', 'video'], { error: 'is required: "image" or "video"' }),
      mode: z.enum(['std', 'pro'], { error: 'must be "std" or "pro"' }).optional(),
      keep_original_sound: z.enum(['yes', 'no'], { error: 'must be "yes" or "no"' }).optional(),
      ...common,
    },
    rejectUnknown,
  );
}

const SCHEMAS = {
  omni: { strict: omniSchema(true), lenient: omniSchema(false) },
  motion: { strict: motionSchema(true), lenient: motionSchema(false) },
};

function parse<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const parsed = schema.safeParse(dropNulls(raw));
  if (!parsed.success) throw zodErrorToKlingError(parsed.error);
  return parsed.data;
}

const newOptions = (body: { callback_url?: string; external_task_id?: string; watermark_info?: { enabled?: boolean } }) => ({
  ...(body.callback_url === undefined ? {} : { callback_url: body.callback_url }),
  ...(body.external_task_id === undefined ? {} : { external_task_id: body.external_task_id }),
  ...(body.watermark_info === undefined ? {} : { watermark_info: body.watermark_info }),
});

/** `POST /v1/videos/omni-video`: the legacy omni body, then the new validator's limits for the same model. */
export function validateLegacyOmniCreate(rawBody: Record<string, unknown>, settings: NewValidationSettings): TaskSpec {
  const body = parse(settings.rejectUnknownFields ? SCHEMAS.omni.strict : SCHEMAS.omni.lenient, rawBody);
  const newId = LEGACY_OMNI_MODELS[body.model_name]!;
  const caps = OMNI_MODELS[newId]!;
  const mode = body.mode ?? 'std';
  const resolution = MODE_RESOLUTION[mode]!;
  if (!caps.resolutions.includes(resolution))
    throw invalidParameter(`mode must be one of ${caps.resolutions.map((r) => `"${modeOf(r)}"`).join(', ')} for ${body.model_name}`);
  const shots = body.multi_prompt ?? [];
  if (body.multi_shot === true && body.shot_type === 'customize' && shots.length === 0)
    throw invalidParameter('multi_prompt is required with multi_shot true and shot_type "customize"');
  if (shots.length > 0 && body.multi_shot !== true) throw invalidParameter('multi_prompt needs multi_shot: true');
  const duration = body.duration ?? (shots.length > 0 ? String(shots.reduce((sum, s) => sum + Number(s.duration), 0)) : '5');
  // `<<<image_1>>>` in the prompt is the new standard's `@image_1`.
  const toNewRefs = (text: string) => text.replace(/<<<((?:image|video|element)_\d+)>>>/g, '@$1');
  const prompt =
    shots.length > 0 ? shots.map((s, i) => `shot ${i + 1}, ${s.duration}, ${toNewRefs(s.prompt)};`).join(' ') : toNewRefs(body.prompt ?? '');
  const video = body.video_list ?? [];
  if (video.length > 1) throw invalidParameter('video_list must not contain more than one video');
  const keep = video[0]?.keep_original_sound === 'yes';
  const audio = body.sound === 'on' ? 'native' : keep ? 'original' : 'off';
  if (body.sound === 'on' && keep) throw invalidParameter('sound "on" and keep_original_sound "yes" exclude each other');
  let referImage = 0;
  const contents = [
    { type: 'prompt', text: prompt },
    ...(body.image_list ?? []).map((img) =>
      img.type === 'first_frame'
        ? { type: 'first_frame', url: img.image_url }
        : img.type === 'end_frame'
          ? { type: 'last_frame', url: img.image_url }
          : { type: 'refer_image', url: img.image_url, id: `image_${++referImage}` },
    ),
    ...video.map((v) => ({ type: v.refer_type === 'feature' ? 'feature_video' : 'base_video', url: v.video_url, id: 'video_1' })),
    ...(body.element_list ?? []).map((e, i) => ({ type: 'element', element_id: String(e.element_id), id: `element_${i + 1}` })),
  ];
  const newBody = {
    contents,
    settings: {
      resolution,
      duration: Number(duration),
      audio,
      ...(body.aspect_ratio === undefined ? {} : { aspect_ratio: body.aspect_ratio }),
      // The legacy multi_shot defaults to false (REF §3.1 [3P]); the new one to true where it exists.
      ...(caps.multiShot ? { multi_shot: body.multi_shot === true } : {}),
    },
    options: newOptions(body),
  };
  const spec = withLegacyNames(() => validateOmniCreate(newId, caps, newBody, { ...settings, acceptStringDuration: false }));
  return { ...spec, standard: 'legacy', model: body.model_name, mode, prompt: body.prompt, body };
}

/** `POST /v1/videos/motion-control`: REF §3.4's body, then the new validator's limits for the model it names. */
export function validateLegacyMotionCreate(rawBody: Record<string, unknown>, settings: NewValidationSettings): TaskSpec {
  const body = parse(settings.rejectUnknownFields ? SCHEMAS.motion.strict : SCHEMAS.motion.lenient, rawBody);
  const modelName = body.model_name ?? LEGACY_MOTION_DEFAULT_MODEL;
  const newId = LEGACY_MOTION_MODELS[modelName]!;
  const mode = body.mode ?? 'std';
  const newBody = {
    contents: [
      ...(body.prompt === undefined ? [] : [{ type: 'prompt', text: body.prompt }]),
      { type: 'image', url: body.image_url },
      { type: 'video', url: body.video_url },
    ],
    settings: {
      resolution: MODE_RESOLUTION[mode],
      character_orientation: body.character_orientation,
      // REF §3.4 / 3P docs: keep_original_sound defaults to yes.
      audio: body.keep_original_sound === 'no' ? 'off' : 'original',
    },
    options: newOptions(body),
  };
  const spec = withLegacyNames(() => validateMotionCreate(newId, MOTION_MODELS[newId]!, newBody, settings));
  return { ...spec, standard: 'legacy', model: modelName, mode, body };
}

function modeOf(resolution: Resolution): string {
  return Object.entries(MODE_RESOLUTION).find(([, r]) => r === resolution)![0];
}
