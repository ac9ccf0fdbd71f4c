import { z } from 'zod';
import type { VideoKind } from './catalog.js';
import type { ResolvedRequest } from './resolve-request.js';
import type { KlingTask, TaskStatus } from './task.js';

/**
 * Legacy create paths (docs/reference/kling-api.md §1.2). Queries must use the family the task was created in. `omni-video` is listed
 * so a legacy-created omni task can be looked up (`GET /v1/videos/omni-video/{id}`, REF §1.2); the client creates omni
 * tasks on the new standard only, since no reference documents the legacy omni body.
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

export function toLegacyBody({ request: r, model, resolution, duration, audio }: ResolvedRequest): LegacyCreateBody {
  const legacy = model.standards.legacy;
  if (!legacy) throw new Error(`${model.id} has no legacy model name`);
  if (r.kind === 'omni-video' || r.kind === 'motion-control') throw new Error(`${r.kind} is sent on the new standard only`);
  return LegacyCreateBody.parse({
    // Always sent: the server default is kling-v1, which is discontinued.
    model_name: legacy.modelName,
    prompt: r.prompt,
    negative_prompt: r.negativePrompt,
    cfg_scale: r.cfgScale,
    mode: model.legacyMode ? RESOLUTION_TO_MODE[resolution] : undefined,
    aspect_ratio: r.aspectRatio,
    duration: String(duration),
    // Explicit "off" where the model could add audio (v3's default is unknown); v2-6 std is silent and takes no sound field.
    sound:
      model.audio === 'optional' && (audio || !model.audioResolution || resolution === model.audioResolution) ? (audio ? 'on' : 'off') : undefined,
    // multi_shot only with shots: on kling-v3 the legacy field defaults to false (REF §3.1 [3P]), so single shot is the
    // default. With shots: `customize`, one `multi_prompt` entry each (index from 1, duration a string like `duration`).
    ...(r.multiPrompt
      ? {
          multi_shot: true,
          shot_type: 'customize',
          multi_prompt: r.multiPrompt.map((shot, i) => ({ index: i + 1, prompt: shot.prompt, duration: String(shot.duration) })),
        }
      : {}),
    voice_list: r.voices?.map((v) => ({ voice_id: v.voiceId })),
    camera_control: r.cameraControl,
    image: r.image,
    image_tail: r.imageTail,
    static_mask: r.staticMask,
    dynamic_masks: r.dynamicMasks,
    watermark_info: r.watermark === undefined ? undefined : { enabled: r.watermark },
    callback_url: r.callbackUrl,
    external_task_id: r.externalTaskId,
  });
}

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
