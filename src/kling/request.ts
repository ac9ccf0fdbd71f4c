import { z } from 'zod';
import { ApiStandard, Resolution, VideoKind } from './catalog.js';

/** Legacy camera_control (docs/reference/kling-api.md §3.3). */
export const CameraControl = z
  .object({
    type: z.enum(['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward']),
    config: z
      .object({
        horizontal: z.number().min(-10).max(10).default(0),
        vertical: z.number().min(-10).max(10).default(0),
        pan: z.number().min(-10).max(10).default(0),
        tilt: z.number().min(-10).max(10).default(0),
        roll: z.number().min(-10).max(10).default(0),
        zoom: z.number().min(-10).max(10).default(0),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((cc, ctx) => {
    if (cc.type !== 'simple') {
      if (cc.config) ctx.addIssue({ code: 'custom', path: ['config'], message: `must be empty for type "${cc.type}"` });
      return;
    }
    const nonZero = cc.config ? Object.values(cc.config).filter((v) => v !== 0).length : 0;
    if (nonZero !== 1) ctx.addIssue({ code: 'custom', path: ['config'], message: 'type "simple" needs exactly one non-zero axis' });
  });
export type CameraControl = z.infer<typeof CameraControl>;

function isHttpUrl(s: string): boolean {
  try {
    const url = new URL(s);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Canonical base64 length: an encoder never produces a length of 1 mod 4. */
function isRawBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(s) && s.length % 4 !== 1;
}

/** An image: an http(s) URL or raw base64 — never a `data:` URI (docs/reference/kling-api.md §3.2). */
export const ImageInput = z
  .string()
  .min(1)
  .refine((s) => !/^data:/i.test(s), 'must be a URL or raw base64 without a "data:" prefix')
  .refine((s) => (/^https?:\/\//i.test(s) ? isHttpUrl(s) : isRawBase64(s)), 'must be an http(s) URL with a host, or raw base64')
  .refine((s) => /^https?:\/\//i.test(s) || (s.length * 3) / 4 <= 10 * 1024 * 1024, 'base64 image exceeds 10 MB');

/**
 * A video input (omni `feature_video` / `base_video`): an http(s) URL only — the new standard has no upload and takes no
 * base64 video (docs/reference/kling-api-new-standard.md §1.3 "Video inputs … are URL only").
 */
export const VideoUrlInput = z
  .string()
  .min(1)
  .refine((s) => /^https?:\/\//i.test(s) && isHttpUrl(s), 'must be an http(s) URL with a host (video inputs are URL only)');

/** A content id (`@image_1`, `@video_1`, an element's name): what the prompt refers to with `@`. */
const ContentId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, "_" or "-"');

/** An omni reference video: `feature` (style/motion reference) or `base` (the video to edit). */
const OmniVideo = z.object({ url: VideoUrlInput, id: ContentId.optional() }).strict();

const DynamicMask = z
  .object({
    mask: ImageInput,
    trajectories: z
      .array(z.object({ x: z.number().int(), y: z.number().int() }).strict())
      .min(2)
      .max(77),
  })
  .strict();

/** Multi-shot limits (NEW §1.3 [OFFICIAL T30, OVG]; REF §3.1 [3P] for the legacy `multi_prompt`). */
export const MAX_SHOTS = 6;
export const MAX_SHOT_CHARS = 512;

/** Duration in seconds; `5` and `"5"` are the same. The client chooses the wire form per standard. */
export const Duration = z
  .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number of seconds')])
  .transform(Number)
  .pipe(z.number().int('must be a whole number of seconds').positive());

/**
 * The one request model callers use, whatever the standard. Fields a model or standard does not have
 * are refused at validation, never silently dropped.
 */
export const VideoRequest = z
  .object({
    /** Catalog id or alias, e.g. `kling-2.6` or `kling-v2-6`. */
    model: z.string().min(1),
    kind: VideoKind,
    /** Force a standard; by default the client picks (new where both serve the model). */
    standard: ApiStandard.optional(),
    prompt: z.string().optional(),
    /** Legacy only. */
    negativePrompt: z.string().max(2500).optional(),
    /** Legacy v1.x only, [0, 1]. */
    cfgScale: z.number().min(0).max(1).optional(),
    /** Output resolution; on the legacy wire this is `mode` (720p=std, 1080p=pro, 4k=4k). */
    resolution: Resolution.optional(),
    /** Legacy vocabulary for `resolution`; accepted as an alias. */
    mode: z.enum(['std', 'pro', '4k']).optional(),
    aspectRatio: z.enum(['16:9', '9:16', '1:1']).optional(),
    duration: Duration.optional(),
    /**
     * Native audio: legacy `sound: on|off`, new `settings.audio: native|off`. `true`/`false` mean `native`/`off`;
     * `original` (omni-video only) keeps the reference video's sound.
     */
    audio: z.union([z.boolean(), z.enum(['native', 'original', 'off'])]).optional(),
    /** New standard, kling-3.0 and kling-3.0-omni. */
    multiShot: z.boolean().optional(),
    /**
     * Multi-shot, one entry per shot (1–6, each ≥ 1 s, ≤ 512 characters, the seconds adding up to `duration`, which
     * defaults to their sum). Sent as the prompt syntax `shot n, m, words;` with `multi_shot: true` on the new
     * standard (kling-3.0, kling-3.0-omni), as `multi_prompt[]` on the legacy one (kling-v3); replaces `prompt`.
     */
    multiPrompt: z
      .array(
        z
          .object({
            prompt: z.string().trim().min(1, 'must not be empty').max(MAX_SHOT_CHARS, `at most ${MAX_SHOT_CHARS} characters per shot`),
            duration: Duration,
          })
          .strict(),
      )
      .min(1, 'at least 1 shot')
      .max(MAX_SHOTS, `at most ${MAX_SHOTS} shots`)
      .optional(),
    /** Legacy image-to-video only. */
    cameraControl: CameraControl.optional(),
    /** First frame (image-to-video). */
    image: ImageInput.optional(),
    /** Last frame: legacy `image_tail`, new `last_frame`. */
    imageTail: ImageInput.optional(),
    /** Legacy motion brush. */
    staticMask: ImageInput.optional(),
    dynamicMasks: z.array(DynamicMask).min(1).max(6).optional(),
    /** Voice control (≤ 2): legacy `voice_list`, new `voice` contents (kling-2.6 image-to-video); needs `audio`. Reference them in the prompt. */
    voices: z
      .array(z.object({ voiceId: z.string().min(1), id: z.string().min(1).optional() }).strict())
      .min(1)
      .max(2)
      .optional(),
    /**
     * New-standard `element` contents (kling-3.0 image-to-video ≤ 3; omni-video, counted with `referImages`). `type`
     * (omni only) says whether the element is a multi-image one (counted against the reference limit; the default,
     * since Kling alone knows an element's type) or a video-character one (not on kling-o1).
     */
    elements: z
      .array(
        z
          .object({ elementId: z.string().min(1), id: z.string().min(1).optional(), type: z.enum(['multi-image', 'video-character']).optional() })
          .strict(),
      )
      .min(1)
      .max(7)
      .optional(),
    /** Omni-video `refer_image` contents; the prompt refers to them as `@<id>` (default ids `image_1`, `image_2`, …). */
    referImages: z
      .array(z.object({ url: ImageInput, id: ContentId.optional() }).strict())
      .min(1)
      .max(7)
      .optional(),
    /** Omni-video `feature_video`: a reference video (URL only); forces audio off. Default id `video_1`. */
    featureVideo: OmniVideo.optional(),
    /** Omni-video `base_video`: the video to edit (URL only); no frames, no native audio. Default id `video_1`. */
    baseVideo: OmniVideo.optional(),
    /** Motion control: the video whose motion the character (`image`) follows (URL only). */
    motionVideo: VideoUrlInput.optional(),
    /** Motion control (required): the output's orientation follows the character `image` or the motion `video`. */
    characterOrientation: z.enum(['image', 'video']).optional(),
    callbackUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Unique per Kling account; the workflow derives one from its id. */
    externalTaskId: z.string().min(1).max(256).optional(),
    watermark: z.boolean().optional(),
  })
  .strict();
export type VideoRequest = z.infer<typeof VideoRequest>;
export type VideoRequestInput = z.input<typeof VideoRequest>;

/** Audio as the new wire names it: `true`/`native` → native, `false`/`off`/absent → off, `original` → original. */
export function audioModeOf(audio: VideoRequest['audio']): 'native' | 'original' | 'off' {
  if (audio === true || audio === 'native') return 'native';
  if (audio === 'original') return 'original';
  return 'off';
}

/**
 * The content ids an omni-video request sends, defaults filled in: reference images `image_1`, `image_2`, …, the
 * reference video `video_1`, elements `element_1`, … (Kling requires an id on elements; the prompt refers to any of
 * them as `@<id>`).
 */
export function omniContentIds(r: VideoRequest): {
  referImages: string[];
  video: string | undefined;
  elements: string[];
} {
  const video = r.featureVideo ?? r.baseVideo;
  return {
    referImages: (r.referImages ?? []).map((img, i) => img.id ?? `image_${i + 1}`),
    video: video ? (video.id ?? 'video_1') : undefined,
    elements: (r.elements ?? []).map((e, i) => e.id ?? `element_${i + 1}`),
  };
}

/**
 * The prompt as sent on the new standard: `prompt`, or the shots of `multiPrompt` in the documented syntax
 * `shot n, m, words;` (NEW §1.3), which Kling reads as a multi-shot prompt when `multi_shot` is true.
 */
export function effectivePrompt(r: Pick<VideoRequest, 'prompt' | 'multiPrompt'>): string | undefined {
  if (!r.multiPrompt) return r.prompt;
  return r.multiPrompt.map((shot, i) => `shot ${i + 1}, ${shot.duration}, ${shot.prompt};`).join(' ');
}
