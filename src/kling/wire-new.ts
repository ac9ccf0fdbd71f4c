import { z } from 'zod';
import type { ApiStandard, VideoKind } from './catalog.js';
import { audioModeOf, effectivePrompt, omniContentIds, type VideoRequest } from './request.js';
import type { ResolvedRequest } from './resolve-request.js';
import type { KlingTask } from './task.js';

/** New-standard create paths: the model is in the path (docs/reference/kling-api-new-standard.md §3.1–§3.3). */
export const newCreatePath = (kind: VideoKind, pathId: string) => `/${kind}/${encodeURIComponent(pathId)}`;
/** Batch lookup cap, observed live (docs/reference/kling-api-new-standard.md §3.6). */
export const NEW_TASKS_QUERY_MAX_IDS = 20;

const Settings = z
  .object({
    resolution: z.enum(['720p', '1080p', '4k']).optional(),
    aspect_ratio: z.string().optional(),
    duration: z.number().int().optional(),
    audio: z.enum(['native', 'original', 'off']).optional(),
    character_orientation: z.enum(['image', 'video']).optional(),
    multi_shot: z.boolean().optional(),
  })
  .strict();
const Options = z
  .object({
    callback_url: z.string().optional(),
    external_task_id: z.string().optional(),
    watermark_info: z.object({ enabled: z.boolean() }).optional(),
  })
  .strict();
const Content = z.discriminatedUnion('type', [
  z.object({ type: z.literal('prompt'), text: z.string() }),
  z.object({ type: z.literal('first_frame'), url: z.string() }),
  z.object({ type: z.literal('last_frame'), url: z.string() }),
  z.object({ type: z.literal('refer_image'), url: z.string(), id: z.string() }),
  z.object({ type: z.literal('feature_video'), url: z.string(), id: z.string() }),
  z.object({ type: z.literal('base_video'), url: z.string(), id: z.string() }),
  z.object({ type: z.literal('image'), url: z.string() }),
  z.object({ type: z.literal('video'), url: z.string() }),
  z.object({ type: z.literal('voice'), voice_id: z.string(), id: z.string() }),
  z.object({ type: z.literal('element'), element_id: z.string(), id: z.string() }),
]);

/** New-standard body: T2V `prompt` + settings + options; I2V and omni `contents[]` + settings + options. */
export const NewCreateBody = z
  .object({ prompt: z.string().optional(), contents: z.array(Content).optional(), settings: Settings, options: Options.optional() })
  .strict();
export type NewCreateBody = z.infer<typeof NewCreateBody>;

export function toNewBody(resolved: ResolvedRequest): NewCreateBody {
  if (resolved.request.kind === 'omni-video') return toOmniBody(resolved);
  if (resolved.request.kind === 'motion-control') return toMotionBody(resolved);
  const { request: r, model, resolution, duration, audio } = resolved;
  const options = {
    callback_url: r.callbackUrl,
    external_task_id: r.externalTaskId,
    watermark_info: r.watermark === undefined ? undefined : { enabled: r.watermark },
  };
  const settings = {
    resolution,
    aspect_ratio: r.kind === 'text-to-video' ? r.aspectRatio : undefined,
    // Seed pitfall 1 inverted: the new standard takes an integer.
    duration,
    // kling-3.0-turbo always has audio and no field for it.
    audio: model.audio === 'optional' ? (audio ? 'native' : 'off') : undefined,
    // NEW §1.3/§8: `multi_shot` defaults to true on models that have it; a single-shot request says so explicitly.
    multi_shot: model.multiShot ? multiShotOf(r) : undefined,
  };
  const prompt = effectivePrompt(r);
  const contents =
    r.kind === 'image-to-video'
      ? [
          ...(prompt ? [{ type: 'prompt' as const, text: prompt }] : []),
          ...(r.image ? [{ type: 'first_frame' as const, url: r.image }] : []),
          ...(r.imageTail ? [{ type: 'last_frame' as const, url: r.imageTail }] : []),
          // Ids are unique across voices and elements; the prompt refers to them (e.g. "@1").
          ...(r.voices ?? []).map((v, i) => ({ type: 'voice' as const, voice_id: v.voiceId, id: v.id ?? String(i + 1) })),
          ...(r.elements ?? []).map((e, i) => ({
            type: 'element' as const,
            element_id: e.elementId,
            id: e.id ?? String((r.voices?.length ?? 0) + i + 1),
          })),
        ]
      : undefined;
  return NewCreateBody.parse({
    prompt: r.kind === 'text-to-video' ? prompt : undefined,
    contents,
    settings,
    options: Object.values(options).some((v) => v !== undefined) ? options : undefined,
  });
}

/**
 * `POST /omni-video/<model>` (§1.3, §3.3 [OFFICIAL OVG, O1]). `audio` and `multi_shot` are always sent (multi_shot
 * defaults to true on kling-3.0-omni). `aspect_ratio` defaults to `16:9`, sent explicitly where the note calls it
 * required (no first frame, no reference video) unless the catalog's `omni.aspectRatio` switch says otherwise.
 */
function toOmniBody({ request: r, model, resolution, duration, audioMode }: ResolvedRequest): NewCreateBody {
  const ids = omniContentIds(r);
  const video = r.featureVideo ?? r.baseVideo;
  const aspectRatioNeeded = r.image === undefined && !video && model.omni?.aspectRatio === 'send-default';
  const contents: Array<z.input<typeof Content>> = [
    { type: 'prompt', text: effectivePrompt(r) ?? '' },
    ...(r.image ? [{ type: 'first_frame' as const, url: r.image }] : []),
    ...(r.imageTail ? [{ type: 'last_frame' as const, url: r.imageTail }] : []),
    ...(r.referImages ?? []).map((img, i) => ({ type: 'refer_image' as const, url: img.url, id: ids.referImages[i]! })),
    ...(r.featureVideo ? [{ type: 'feature_video' as const, url: r.featureVideo.url, id: ids.video! }] : []),
    ...(r.baseVideo ? [{ type: 'base_video' as const, url: r.baseVideo.url, id: ids.video! }] : []),
    ...(r.elements ?? []).map((e, i) => ({ type: 'element' as const, element_id: e.elementId, id: ids.elements[i]! })),
  ];
  return NewCreateBody.parse({
    contents,
    settings: {
      resolution,
      aspect_ratio: r.aspectRatio ?? (aspectRatioNeeded ? '16:9' : undefined),
      duration,
      audio: audioMode ?? audioModeOf(r.audio),
      multi_shot: model.multiShot ? multiShotOf(r) : undefined,
    },
    options: newOptions(r),
  });
}

/**
 * `POST /motion-control/<model>` (§1.3, §3.3 [OFFICIAL MC]): `contents[]` of `prompt`, `image`, `video` (+ `element` on
 * 3.0), `settings.character_orientation` (required), `resolution`, `audio` (`original` by default, sent explicitly).
 * No `duration`: the output follows the motion video.
 */
function toMotionBody({ request: r, resolution, audioMode }: ResolvedRequest): NewCreateBody {
  const contents: Array<z.input<typeof Content>> = [
    ...(r.prompt ? [{ type: 'prompt' as const, text: r.prompt }] : []),
    { type: 'image', url: r.image! },
    { type: 'video', url: r.motionVideo! },
    ...(r.elements ?? []).map((e, i) => ({ type: 'element' as const, element_id: e.elementId, id: e.id ?? `element_${i + 1}` })),
  ];
  return NewCreateBody.parse({
    contents,
    settings: { resolution, character_orientation: r.characterOrientation, audio: audioMode ?? 'original' },
    options: newOptions(r),
  });
}

/** `multi_shot` defaults to true where it exists (NEW §1.3/§8): sent explicitly, true for shots, else as asked or false. */
function multiShotOf(r: VideoRequest): boolean {
  return r.multiShot ?? r.multiPrompt !== undefined;
}

function newOptions(r: VideoRequest) {
  const options = {
    callback_url: r.callbackUrl,
    external_task_id: r.externalTaskId,
    watermark_info: r.watermark === undefined ? undefined : { enabled: r.watermark },
  };
  return Object.values(options).some((v) => v !== undefined) ? options : undefined;
}

/** Create response data (§3.4). */
export const NewCreateData = z.object({
  id: z.string(),
  status: z.string(),
  create_time: z.number().optional(),
  update_time: z.number().optional(),
  external_id: z.string().optional(),
});

/** The task object of `GET /tasks` and callbacks (§3.5). */
export const NewTaskData = z.object({
  id: z.string(),
  status: z.enum(['submitted', 'processing', 'succeeded', 'succeed', 'failed']),
  message: z.string().optional(),
  create_time: z.number().optional(),
  update_time: z.number().optional(),
  external_id: z.string().optional(),
  outputs: z
    .array(
      z.looseObject({
        type: z.string(),
        id: z.string().optional(),
        url: z.string().optional(),
        watermark_url: z.string().optional(),
        duration: z.string().optional(),
      }),
    )
    .optional(),
  billing: z
    .array(z.looseObject({ charge_type: z.string().optional(), amount: z.string().optional(), package_type: z.string().optional() }))
    .optional(),
});
export type NewTaskData = z.infer<typeof NewTaskData>;

/**
 * Normalises a new-shape task. `origin` is what the caller knows of it: the answer names neither the standard the
 * task was created on (`GET /tasks` lists legacy-created tasks too, §3.6) nor its kind.
 */
export function fromNewTask(data: NewTaskData, origin: { standard: ApiStandard; kind: VideoKind }): KlingTask {
  const units = (data.billing ?? []).filter((b) => b.charge_type === 'unit' && b.amount !== undefined);
  return {
    taskId: data.id,
    externalTaskId: data.external_id || undefined,
    standard: origin.standard,
    kind: origin.kind,
    status: data.status === 'succeed' ? 'succeeded' : data.status,
    statusMessage: data.message || undefined,
    createdAt: data.create_time,
    updatedAt: data.update_time,
    videos: (data.outputs ?? [])
      .filter((o) => o.type === 'video' && o.url)
      .map((o) => ({
        id: o.id ?? o.url!,
        url: o.url!,
        watermarkUrl: o.watermark_url,
        durationSeconds: o.duration === undefined ? undefined : Number(o.duration),
      })),
    unitsDeducted: units.length ? units.reduce((sum, b) => sum + Number(b.amount), 0) : undefined,
  };
}
