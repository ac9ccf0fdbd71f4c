import { z } from 'zod';

/** The two Kling API standards: `legacy` (`/v1/videos/...`, `model_name` in the body) and `new` (model in the path). */
export const ApiStandard = z.enum(['legacy', 'new']);
export type ApiStandard = z.infer<typeof ApiStandard>;

export const VideoKind = z.enum(['text-to-video', 'image-to-video', 'omni-video', 'motion-control']);
export type VideoKind = z.infer<typeof VideoKind>;

export const Resolution = z.enum(['720p', '1080p', '4k']);
export type Resolution = z.infer<typeof Resolution>;

/**
 * Omni-video limits (docs/reference/kling-api-new-standard.md §1.3, §3.3 [OFFICIAL OVG, O1]). Where the references are silent or
 * disagree, the field is a switch and its default is named in docs/reference/README.md's table of unsure references.
 */
export const OmniCapabilities = z.object({
  /** Reference images + multi-image elements per task, without and with a reference video (OVG: 7 and 4). */
  maxReferences: z.object({ withoutVideo: z.number().int().min(0), withVideo: z.number().int().min(0) }),
  /** Video-character elements are accepted (O1: "only multi-image elements"). */
  videoCharacterElements: z.boolean(),
  /** Audio `original` (keep the reference video's sound) is accepted. */
  originalAudio: z.boolean(),
  /** Durations allowed when a first frame is the only input besides the prompt (O1: 5 or 10). */
  firstFrameOnlyDurations: z.array(z.number().int().positive()).optional(),
  /** With first and last frame, no reference images and no elements (O1). */
  bothFramesExclusive: z.boolean().default(false),
  /**
   * NEW §9 item 16: `aspect_ratio` is "required" without a first frame and a reference video per the note, optional per
   * the table, and omitted by the vendor's own example. `send-default`: send the documented default `16:9` explicitly
   * in that case (valid under both readings); `require`: refuse the request without one; `optional`: send nothing.
   */
  aspectRatio: z.enum(['send-default', 'require', 'optional']).default('send-default'),
  /** Whether the multi-shot prompt syntax ("shot n, m, words;") is checked client-side when `multiShot` is true. */
  multiShotPromptSyntax: z.boolean().default(true),
});
export type OmniCapabilities = z.infer<typeof OmniCapabilities>;

/** One model's capabilities. Data, not code: the whole table can be replaced from configuration. */
export const ModelCapabilities = z.object({
  /** Canonical id callers use; the new-standard path id where one exists. */
  id: z.string().min(1),
  /** Other names accepted from callers (e.g. the legacy `model_name`). */
  aliases: z.array(z.string()).default([]),
  /** Wire names per standard; a standard absent here does not serve the model. */
  standards: z
    .object({
      legacy: z.object({ modelName: z.string() }).optional(),
      new: z.object({ pathId: z.string() }).optional(),
    })
    .refine((s) => s.legacy || s.new, 'a model needs at least one standard'),
  kinds: z.array(VideoKind).min(1),
  /** Output resolutions; legacy `mode` maps std→720p, pro→1080p, 4k→4k. */
  resolutions: z.array(Resolution).min(1),
  /** Whether the legacy wire takes a `mode` field (the master models have a fixed resolution and no mode). */
  legacyMode: z.boolean().default(true),
  durations: z.array(z.number().int().positive()).min(1),
  defaultDuration: z.number().int().positive().default(5),
  /** none: no audio; optional: caller chooses; always: the model always generates native audio (no field). */
  audio: z.enum(['none', 'optional', 'always']),
  /** Resolution that native audio forces (kling-2.6: 1080p only). */
  audioResolution: Resolution.optional(),
  negativePrompt: z.boolean().default(false),
  cfgScale: z.boolean().default(false),
  /** Legacy camera_control support: which kinds, at which resolution and duration. */
  cameraControl: z.object({ kinds: z.array(VideoKind), resolution: Resolution, duration: z.number().int(), types: z.array(z.string()) }).optional(),
  /** Legacy motion brush (static_mask / dynamic_masks): the one resolution and duration that take it. */
  motionBrush: z.object({ resolution: Resolution, duration: z.number().int() }).optional(),
  /** Last frame (legacy image_tail / new last_frame): resolutions that allow it; absent = unsupported. */
  lastFrameResolutions: z.array(Resolution).optional(),
  /** An end frame only with silent video (kling-2.6: "Start/end frame: pro, silent only"). */
  lastFrameSilentOnly: z.boolean().default(false),
  /** The model accepts a last frame without a first frame (legacy tail-only). */
  lastFrameOnly: z.boolean().default(false),
  multiShot: z.boolean().default(false),
  /** Voice control (legacy `voice_list`, new `voice` contents): per standard, which kinds; needs audio. */
  voiceControl: z.object({ legacy: z.array(VideoKind).default([]), new: z.array(VideoKind).default([]) }).optional(),
  /** New-standard `element` contents per image-to-video request (0: none). */
  maxElements: z.number().int().min(0).default(0),
  promptMaxChars: z.object({
    'text-to-video': z.number().int(),
    'image-to-video': z.number().int(),
    'omni-video': z.number().int().optional(),
    'motion-control': z.number().int().optional(),
  }),
  /**
   * Motion control (`/motion-control/<model>`, NEW §1.3/§3.3 [OFFICIAL MC]): a character image + a motion video (+ ≤
   * `maxElements` elements), `character_orientation` required, no duration (the output follows the video).
   */
  motionControl: z
    .object({
      resolutions: z.array(Resolution).min(1),
      maxElements: z.number().int().min(0),
      /** Motion-video length limits: ≥ 3 s; ≤ 30 s with orientation `video`, ≤ 10 s with `image`. */
      minVideoSeconds: z.number().int().positive().default(3),
      maxVideoSeconds: z.object({ image: z.number().int().positive(), video: z.number().int().positive() }).default({ image: 10, video: 30 }),
    })
    .optional(),
  /** Omni-video (`/omni-video/<model>`) limits; present on the omni models only (docs/reference/kling-api-new-standard.md §1.3, §3.3). */
  omni: OmniCapabilities.optional(),
  /** Kling has switched this model off; requests are refused before submission. */
  discontinued: z.boolean().default(false),
  /** Where these facts come from and how sure they are. */
  source: z.string(),
});
export type ModelCapabilities = z.infer<typeof ModelCapabilities>;
export type ModelCapabilitiesInput = z.input<typeof ModelCapabilities>;

const BOTH: VideoKind[] = ['text-to-video', 'image-to-video'];
const I2V_ONLY: VideoKind[] = ['image-to-video'];
const OMNI: VideoKind[] = ['omni-video'];
const P2500 = { 'text-to-video': 2500, 'image-to-video': 2500 };
const FIVE_TEN = [5, 10];
const THREE_TO_FIFTEEN = Array.from({ length: 13 }, (_, i) => i + 3);

/**
 * Default catalog. Sources: docs/reference/kling-api-new-standard.md §1.2–§1.3 (new standard, OFFICIAL) and
 * docs/reference/kling-api.md §3.5 (legacy capability map, OFFICIAL CN copy). The legacy-only models' availability
 * is unknown (never probed); kling-v1 was observed discontinued.
 */
export const DEFAULT_MODELS: ModelCapabilitiesInput[] = [
  {
    id: 'kling-3.0-turbo',
    standards: { new: { pathId: 'kling-3.0-turbo' } },
    kinds: BOTH,
    resolutions: ['720p', '1080p'],
    durations: THREE_TO_FIFTEEN,
    audio: 'always',
    lastFrameResolutions: undefined,
    promptMaxChars: { 'text-to-video': 3072, 'image-to-video': 2500 },
    source: 'NEW §1.3 (OFFICIAL T30T/I30T; audio always on OBSERVED)',
  },
  {
    id: 'kling-3.0',
    aliases: ['kling-v3'],
    standards: { new: { pathId: 'kling-3.0' }, legacy: { modelName: 'kling-v3' } },
    kinds: [...BOTH, 'motion-control'],
    resolutions: ['720p', '1080p', '4k'],
    durations: THREE_TO_FIFTEEN,
    audio: 'optional',
    lastFrameResolutions: ['720p', '1080p', '4k'],
    multiShot: true,
    voiceControl: { legacy: BOTH, new: [] },
    maxElements: 3,
    // Motion control goes on the legacy standard only when KLING_LEGACY_PRODUCTS opts in: REF's legacy
    // /v1/videos/motion-control body names no model_name (docs/products.md).
    motionControl: { resolutions: ['720p', '1080p'], maxElements: 1 },
    promptMaxChars: { 'text-to-video': 3072, 'image-to-video': 3072 },
    source: 'NEW §1.3 (OFFICIAL T30/I30); legacy kling-v3 OBSERVED live, its durations 3P',
  },
  {
    // The legacy `kling-v3-omni` on `/v1/videos/omni-video` exists (REF §1.2, OBSERVED create), but only third-party code
    // shows its body: requests go to the new standard, whose contract OVG documents, unless KLING_LEGACY_PRODUCTS opts in.
    id: 'kling-3.0-omni',
    aliases: ['kling-v3-omni'],
    standards: { new: { pathId: 'kling-3.0-omni' }, legacy: { modelName: 'kling-v3-omni' } },
    kinds: OMNI,
    resolutions: ['720p', '1080p', '4k'],
    durations: THREE_TO_FIFTEEN,
    audio: 'optional',
    lastFrameResolutions: ['720p', '1080p', '4k'],
    multiShot: true,
    omni: { maxReferences: { withoutVideo: 7, withVideo: 4 }, videoCharacterElements: true, originalAudio: true },
    promptMaxChars: { 'text-to-video': 3072, 'image-to-video': 3072, 'omni-video': 3072 },
    source: 'NEW §1.2/§1.3/§3.3 (OFFICIAL OVG); legacy kling-v3-omni body from 3P code only (REF §1.2): legacy only with KLING_LEGACY_PRODUCTS',
  },
  {
    id: 'kling-o1',
    aliases: ['kling-video-o1'],
    standards: { new: { pathId: 'kling-o1' }, legacy: { modelName: 'kling-video-o1' } },
    kinds: OMNI,
    resolutions: ['720p', '1080p'],
    durations: [3, 4, 5, 6, 7, 8, 9, 10],
    audio: 'none',
    lastFrameResolutions: ['720p', '1080p'],
    omni: {
      maxReferences: { withoutVideo: 7, withVideo: 4 },
      videoCharacterElements: false,
      originalAudio: true,
      firstFrameOnlyDurations: [5, 10],
      bothFramesExclusive: true,
    },
    promptMaxChars: { 'text-to-video': 2500, 'image-to-video': 2500, 'omni-video': 2500 },
    source:
      'NEW §1.2/§1.3/§3.3 (OFFICIAL O1; missing from UPD 07/15, §9 item 3); legacy kling-video-o1 body from 3P code only: legacy only with KLING_LEGACY_PRODUCTS',
  },
  {
    id: 'kling-2.6',
    aliases: ['kling-v2-6'],
    standards: { new: { pathId: 'kling-2.6' }, legacy: { modelName: 'kling-v2-6' } },
    kinds: [...BOTH, 'motion-control'],
    resolutions: ['720p', '1080p'],
    durations: FIVE_TEN,
    audio: 'optional',
    audioResolution: '1080p',
    negativePrompt: true,
    lastFrameResolutions: ['1080p'],
    lastFrameSilentOnly: true,
    voiceControl: { legacy: BOTH, new: I2V_ONLY },
    motionControl: { resolutions: ['720p', '1080p'], maxElements: 0 },
    promptMaxChars: P2500,
    source: 'NEW §1.3 (OFFICIAL T26/I26, MAP); legacy: REF §3.5 (sound pro only = 1080p), voice_list REF §3.1/§3.2',
  },
  {
    id: 'kling-2.5-turbo',
    aliases: ['kling-v2-5-turbo'],
    standards: { new: { pathId: 'kling-2.5-turbo' }, legacy: { modelName: 'kling-v2-5-turbo' } },
    kinds: BOTH,
    resolutions: ['720p', '1080p'],
    durations: FIVE_TEN,
    audio: 'none',
    negativePrompt: true,
    lastFrameResolutions: ['1080p'],
    promptMaxChars: P2500,
    source: 'NEW §1.3 (OFFICIAL T25/I25); legacy REF §3.5',
  },
  {
    id: 'kling-v2-1-master',
    standards: { legacy: { modelName: 'kling-v2-1-master' } },
    kinds: BOTH,
    resolutions: ['1080p'],
    legacyMode: false,
    durations: FIVE_TEN,
    audio: 'none',
    negativePrompt: true,
    promptMaxChars: P2500,
    source: 'REF §3.5 (OFFICIAL CN capability map); availability today unknown',
  },
  {
    id: 'kling-v2-master',
    standards: { legacy: { modelName: 'kling-v2-master' } },
    kinds: BOTH,
    resolutions: ['720p'],
    legacyMode: false,
    durations: FIVE_TEN,
    audio: 'none',
    negativePrompt: true,
    promptMaxChars: P2500,
    source: 'REF §3.5 (OFFICIAL CN capability map); availability today unknown',
  },
  {
    id: 'kling-v2-1',
    standards: { legacy: { modelName: 'kling-v2-1' } },
    kinds: I2V_ONLY,
    resolutions: ['720p', '1080p'],
    durations: FIVE_TEN,
    audio: 'none',
    negativePrompt: true,
    lastFrameResolutions: ['1080p'],
    promptMaxChars: P2500,
    source: 'REF §3.5 and seed pitfall 7 (image-to-video only)',
  },
  {
    id: 'kling-v1-6',
    standards: { legacy: { modelName: 'kling-v1-6' } },
    kinds: BOTH,
    resolutions: ['720p', '1080p'],
    durations: FIVE_TEN,
    audio: 'none',
    negativePrompt: true,
    cfgScale: true,
    lastFrameResolutions: ['1080p'],
    lastFrameOnly: true,
    promptMaxChars: P2500,
    source: 'REF §3.5 (OFFICIAL CN capability map)',
  },
  {
    id: 'kling-v1-5',
    standards: { legacy: { modelName: 'kling-v1-5' } },
    kinds: I2V_ONLY,
    resolutions: ['720p', '1080p'],
    durations: FIVE_TEN,
    audio: 'none',
    negativePrompt: true,
    cfgScale: true,
    cameraControl: { kinds: I2V_ONLY, resolution: '1080p', duration: 5, types: ['simple'] },
    motionBrush: { resolution: '1080p', duration: 5 },
    lastFrameResolutions: ['1080p'],
    lastFrameOnly: true,
    promptMaxChars: P2500,
    source: 'REF §3.3/§3.5 and seed pitfall 7 (image-to-video only)',
  },
  {
    id: 'kling-v1',
    standards: { legacy: { modelName: 'kling-v1' } },
    kinds: BOTH,
    resolutions: ['720p'],
    durations: FIVE_TEN,
    audio: 'none',
    promptMaxChars: P2500,
    discontinued: true,
    source: 'NEW §1.2: observed discontinued 2026-09',
  },
];

/** A model catalog: lookup by id or alias. */
export interface ModelCatalog {
  readonly models: readonly ModelCapabilities[];
  find(nameOrAlias: string): ModelCapabilities | undefined;
}

/**
 * Builds a catalog from the defaults, optionally replacing or adding entries (matched by `id`)
 * from configuration — models change faster than releases. Throws a ZodError naming the bad entry.
 */
export function createModelCatalog(overrides: ModelCapabilitiesInput[] = [], base = DEFAULT_MODELS): ModelCatalog {
  const byId = new Map<string, ModelCapabilitiesInput>(base.map((m) => [m.id, m]));
  for (const o of overrides) byId.set(o.id, o);
  const models = z.array(ModelCapabilities).parse([...byId.values()]);
  const index = new Map<string, ModelCapabilities>();
  for (const m of models) for (const name of [m.id, ...m.aliases]) index.set(name, m);
  return { models, find: (name) => index.get(name) };
}
