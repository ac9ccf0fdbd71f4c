import { z } from 'zod';
import type { VideoKind } from './catalog.js';
import { omniContentIds } from './request.js';
import type { ResolvedRequest } from './resolve-request.js';
import type { KlingTask, TaskStatus } from './task.js';

/**
 * Legacy create paths (docs/reference/kling-api.md §1.2). Queries must use the family the task was created in. The
 * client creates omni-video and motion-control tasks on these paths only when KLING_LEGACY_PRODUCTS opts in (their
 * bodies rest on assumptions, docs/products.md); legacy-created tasks of every family can be looked up.
 */
export const LEGACY_FAMILY: Record<VideoKind, string> = {
  'text-to-video': 'text2video',
  'image-to-video': 'image2video',
  'omni-video': 'omni-video',
  'motion-control': 'motion-control',
};
export const legacyCreatePath = (kind: VideoKind) => `/v1/videos/${LEGACY_FAMILY[kind]}`;
export const legacyTaskPath = (kind: VideoKind, id: string) => `/v1/videos/${LEGACY_FAMILY[kind]}/${encodeURIComponent(id)}`;
/** legacyTaskPath with the id as a placeholder, for traces. */
export const legacyTaskRoute = (kind: VideoKind) => `/v1/videos/${LEGACY_FAMILY[kind]}/{id}`;

const RESOLUTION_TO_MODE = { '720p': 'std', '1080p': 'pro', '4k': '4k' } as const;

/** The legacy request body (docs/reference/kling-api.md §3.1–§3.3). `duration` is always a string: seed pitfall 1. */
export const LegacyCreateBody = z
  .object({
    model_name: z.string(),
    prompt: z.string().optional(),
    negative_prompt: z.string().optional(),
    cfg_scale: z.number().optional(),
    mode: z.enum(['std', 'pro', '4k']).optional(),
    aspect_ratio: z.string().optional(),
    duration: z.string().regex(/^\d+$/),
    sound: z.enum(['on', 'off']).optional(),
    voice_list: z.array(z.object({ voice_id: z.string() })).optional(),
    camera_control: z.object({ type: z.string(), config: z.record(z.string(), z.number()).optional() }).optional(),
    image: z.string().optional(),
    image_tail: z.string().optional(),
    static_mask: z.string().optional(),
    dynamic_masks: z.array(z.object({ mask: z.string(), trajectories: z.array(z.object({ x: z.number(), y: z.number() })) })).optional(),
    watermark_info: z.object({ enabled: z.boolean() }).optional(),
    callback_url: z.string().optional(),
    external_task_id: z.string().optional(),
    multi_shot: z.boolean().optional(),
    shot_type: z.enum(['customize', 'intelligence']).optional(),
    multi_prompt: z.array(z.object({ index: z.number().int(), prompt: z.string(), duration: z.string().regex(/^\d+$/) })).optional(),
  })
  .strict();
export type LegacyCreateBody = z.infer<typeof LegacyCreateBody>;

/** The legacy body of a resolved request, per kind: text/image-to-video, omni-video or motion-control. */
export function legacyWireBody(resolved: ResolvedRequest): LegacyCreateBody | LegacyOmniBody | LegacyMotionBody {
  if (resolved.request.kind === 'omni-video') return toLegacyOmniBody(resolved);
  if (resolved.request.kind === 'motion-control') return toLegacyMotionBody(resolved);
  return toLegacyBody(resolved);
}

function legacyModelName({ model }: ResolvedRequest): string {
  const legacy = model.standards.legacy;
  if (!legacy) throw new Error(`${model.id} has no legacy model name`);
  return legacy.modelName;
}

const legacyOptions = (r: ResolvedRequest['request']) => ({
  watermark_info: r.watermark === undefined ? undefined : { enabled: r.watermark },
  callback_url: r.callbackUrl,
  external_task_id: r.externalTaskId,
});

/** The legacy text/image-to-video body (omni-video and motion-control: legacyWireBody). */
export function toLegacyBody(resolved: ResolvedRequest): LegacyCreateBody {
  const { request: r, model, resolution, duration, audio } = resolved;
  if (r.kind === 'omni-video' || r.kind === 'motion-control') throw new Error(`${r.kind} has its own legacy body: use legacyWireBody`);
  return LegacyCreateBody.parse({
    // Always sent: the server default is kling-v1, which is discontinued.
    model_name: legacyModelName(resolved),
    prompt: r.prompt,
    negative_prompt: r.negativePrompt,
    cfg_scale: r.cfgScale,
    mode: model.legacyMode ? RESOLUTION_TO_MODE[resolution] : undefined,
    aspect_ratio: r.aspectRatio,
    duration: String(duration),
    // Explicit "off" where the model could add audio (v3's default is unknown); v2-6 std is silent and takes no sound field.
    sound:
      model.audio === 'optional' && (audio || !model.audioResolution || resolution === model.audioResolution) ? (audio ? 'on' : 'off') : undefined,
    ...legacyShots(r),
    voice_list: r.voices?.map((v) => ({ voice_id: v.voiceId })),
    camera_control: r.cameraControl,
    image: r.image,
    image_tail: r.imageTail,
    static_mask: r.staticMask,
    dynamic_masks: r.dynamicMasks,
    ...legacyOptions(r),
  });
}

/**
 * multi_shot only with shots: on kling-v3 the legacy field defaults to false (REF §3.1 [3P]), so single shot is the
 * default. With shots: `customize`, one `multi_prompt` entry each (index from 1, duration a string like `duration`).
 */
function legacyShots(r: ResolvedRequest['request'], prompt: (text: string) => string = (text) => text) {
  return r.multiPrompt
    ? {
        multi_shot: true,
        shot_type: 'customize' as const,
        multi_prompt: r.multiPrompt.map((shot, i) => ({ index: i + 1, prompt: prompt(shot.prompt), duration: String(shot.duration) })),
      }
    : {};
}

/**
 * The legacy omni body (`POST /v1/videos/omni-video`, KLING_LEGACY_PRODUCTS only). REF documents the path and the model
 * names, not the body; its shape is third-party (ArcReel `lib/video_backends/kling_omni.py`, REF §1.2): flat legacy
 * fields (`model_name`, `mode`, `duration` as a string, `sound`), `image_list[{image_url, type?}]` with
 * `first_frame`/`end_frame` types, `video_list[{video_url, refer_type: feature|base, keep_original_sound: yes|no}]`,
 * `element_list[{element_id}]`. Assumed here (docs/products.md): the prompt refers to contents as `<<<image_1>>>`
 * (the third-party form; `<<<voice_1>>>` in REF §3.1) by position, so reference images come first in `image_list`
 * and `@image_1`, `@video_1`, `@element_1` are rewritten; `aspect_ratio` is sent as on the new standard.
 */
function toLegacyOmniBody(resolved: ResolvedRequest): LegacyOmniBody {
  const { request: r, model, resolution, duration, audioMode } = resolved;
  const ids = omniContentIds(r);
  const video = r.featureVideo ?? r.baseVideo;
  const mode = audioMode ?? 'off';
  const aspectRatioNeeded = r.image === undefined && !video && model.omni?.aspectRatio === 'send-default';
  const images = [
    ...(r.referImages ?? []).map((img) => ({ image_url: img.url })),
    ...(r.image ? [{ image_url: r.image, type: 'first_frame' as const }] : []),
    ...(r.imageTail ? [{ image_url: r.imageTail, type: 'end_frame' as const }] : []),
  ];
  const rewrite = (text: string) => legacyOmniPrompt(text, ids);
  return LegacyOmniBody.parse({
    model_name: legacyModelName(resolved),
    prompt: r.multiPrompt ? undefined : rewrite(r.prompt ?? ''),
    ...legacyShots(r, rewrite),
    mode: RESOLUTION_TO_MODE[resolution],
    aspect_ratio: r.aspectRatio ?? (aspectRatioNeeded ? '16:9' : undefined),
    duration: String(duration),
    // Native audio is `sound: on`; the reference video's own sound is the video's `keep_original_sound`.
    sound: model.audio === 'optional' ? (mode === 'native' ? 'on' : 'off') : undefined,
    image_list: images.length ? images : undefined,
    video_list: video
      ? [{ video_url: video.url, refer_type: r.featureVideo ? 'feature' : 'base', keep_original_sound: mode === 'original' ? 'yes' : 'no' }]
      : undefined,
    element_list: r.elements?.map((e) => ({ element_id: e.elementId })),
    ...legacyOptions(r),
  });
}

/** `@image_1` → `<<<image_1>>>` etc. for the ids this request sends (positions: ids are the defaults on legacy). */
function legacyOmniPrompt(text: string, ids: ReturnType<typeof omniContentIds>): string {
  const known = new Set([...ids.referImages, ...(ids.video ? [ids.video] : []), ...ids.elements]);
  return text.replace(/(?<![A-Za-z0-9_])@((?:image|video|element)_\d+)\b/g, (token, id: string) => (known.has(id) ? `<<<${id}>>>` : token));
}

/**
 * The legacy motion-control body (`POST /v1/videos/motion-control`, KLING_LEGACY_PRODUCTS only): REF §3.4's fields
 * (`image_url`, `video_url`, `character_orientation`, `mode`, `keep_original_sound` yes/no, `prompt`) plus the legacy
 * conventions (`callback_url`, `external_task_id`, `watermark_info`). REF names no model field; `model_name`
 * (`kling-v3` / `kling-v2-6`) is sent as third-party clients send it, assumed to choose the model (docs/products.md).
 * No duration: the output follows the motion video.
 */
function toLegacyMotionBody(resolved: ResolvedRequest): LegacyMotionBody {
  const { request: r, resolution, audioMode } = resolved;
  return LegacyMotionBody.parse({
    model_name: legacyModelName(resolved),
    prompt: r.prompt,
    image_url: r.image,
    video_url: r.motionVideo,
    character_orientation: r.characterOrientation,
    mode: RESOLUTION_TO_MODE[resolution],
    keep_original_sound: (audioMode ?? 'original') === 'original' ? 'yes' : 'no',
    ...legacyOptions(r),
  });
}

const LegacyCommon = {
  watermark_info: z.object({ enabled: z.boolean() }).optional(),
  callback_url: z.string().optional(),
  external_task_id: z.string().optional(),
};

/** The legacy omni-video body as the client sends it (toLegacyOmniBody: sources and assumptions). */
export const LegacyOmniBody = z
  .object({
    model_name: z.string(),
    prompt: z.string().optional(),
    multi_shot: z.boolean().optional(),
    shot_type: z.enum(['customize', 'intelligence']).optional(),
    multi_prompt: z.array(z.object({ index: z.number().int(), prompt: z.string(), duration: z.string().regex(/^\d+$/) })).optional(),
    mode: z.enum(['std', 'pro', '4k']),
    aspect_ratio: z.string().optional(),
    duration: z.string().regex(/^\d+$/),
    sound: z.enum(['on', 'off']).optional(),
    image_list: z.array(z.object({ image_url: z.string(), type: z.enum(['first_frame', 'end_frame']).optional() }).strict()).optional(),
    video_list: z
      .array(z.object({ video_url: z.string(), refer_type: z.enum(['feature', 'base']), keep_original_sound: z.enum(['yes', 'no']) }).strict())
      .optional(),
    element_list: z.array(z.object({ element_id: z.string() }).strict()).optional(),
    ...LegacyCommon,
  })
  .strict();
export type LegacyOmniBody = z.infer<typeof LegacyOmniBody>;

/** The legacy motion-control body as the client sends it (toLegacyMotionBody: sources and assumptions). */
export const LegacyMotionBody = z
  .object({
    model_name: z.string(),
    prompt: z.string().optional(),
    image_url: z.string(),
    video_url: z.string(),
    character_orientation: z.enum(['image', 'video']),
    mode: z.enum(['std', 'pro']),
    keep_original_sound: z.enum(['yes', 'no']),
    ...LegacyCommon,
  })
  .strict();
export type LegacyMotionBody = z.infer<typeof LegacyMotionBody>;

/** Legacy task object (create, query-one and list items; docs/reference/kling-api.md §4.2–§4.3). */
export const LegacyTaskData = z.object({
  task_id: z.string(),
  task_status: z.enum(['submitted', 'processing', 'succeed', 'succeeded', 'failed']),
  task_status_msg: z.string().optional(),
  task_info: z.object({ external_task_id: z.string().optional() }).partial().optional(),
  created_at: z.number().optional(),
  updated_at: z.number().optional(),
  task_result: z
    .object({
      videos: z
        .array(z.object({ id: z.string(), url: z.string(), watermark_url: z.string().optional(), duration: z.string().optional() }))
        .optional(),
    })
    .optional(),
  final_unit_deduction: z.string().optional(),
});
export type LegacyTaskData = z.infer<typeof LegacyTaskData>;

export function fromLegacyTask(data: LegacyTaskData, kind: VideoKind): KlingTask {
  const status: TaskStatus = data.task_status === 'succeed' ? 'succeeded' : data.task_status;
  return {
    taskId: data.task_id,
    externalTaskId: data.task_info?.external_task_id || undefined,
    standard: 'legacy',
    kind,
    status,
    statusMessage: data.task_status_msg || undefined,
    createdAt: data.created_at,
    updatedAt: data.updated_at,
    videos: (data.task_result?.videos ?? []).map((v) => ({
      id: v.id,
      url: v.url,
      watermarkUrl: v.watermark_url,
      durationSeconds: v.duration === undefined ? undefined : Number(v.duration),
    })),
    unitsDeducted: data.final_unit_deduction === undefined ? undefined : Number(data.final_unit_deduction),
  };
}
