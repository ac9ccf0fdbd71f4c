/**
 * The simulator's own capability table, written from the references (not shared with the client on purpose:
 * a mistake must not pass on both sides).
 */
import type { LegacyFamily, Product, Resolution } from './task-spec.js';

export interface LegacyImageTailSupport {
  /** Modes in which `image_tail` is honoured. */
  readonly modes: readonly string[];
  /** Modes in which the real API accepts `image_tail` but ignores it (REF §7 problem 9). */
  readonly ignoredModes: readonly string[];
  /** NEW §1.3 legacy table: "pro, silent only" (kling-v2-6). */
  readonly silentOnly: boolean;
  /** REF §3.2: "Tail-only works on v1-5 and v1-6 pro". */
  readonly tailOnlyModes: readonly string[];
}

export interface LegacyModelCapabilities {
  /** REF header note / NEW §1.2: `kling-v1` was observed discontinued. */
  readonly discontinued: boolean;
  readonly families: readonly LegacyFamily[];
  /** Accepted `mode` values, first = default; null = the model has no std/pro split (master models). */
  readonly modes: readonly string[] | null;
  /** Output resolution per mode; mode-less models use the key `default`. */
  readonly resolutionByMode: Readonly<Record<string, Resolution>>;
  /** Accepted `duration` strings, first = default. */
  readonly durations: readonly string[];
  /** REF §3.1: cfg_scale is "not supported by kling-v2.x models". */
  readonly cfgScale: boolean;
  /** Modes in which `sound: "on"` is honoured (REF §3.1 "V2.6 and later"; NEW §1.3: v2-6 pro only). */
  readonly soundModes: readonly string[];
  /** Modes in which `sound: "on"` is accepted but the video is silent (REF §7 problem 9: v2-6 std). */
  readonly soundIgnoredModes: readonly string[];
  readonly imageTail: LegacyImageTailSupport | null;
  /** REF §3.3: camera control works only in one narrow combination per model. */
  readonly cameraControl: {
    readonly family: LegacyFamily;
    readonly mode: string;
    readonly duration: string;
    readonly types: readonly string[];
  } | null;
  /** Motion brush (`static_mask` / `dynamic_masks`); REF §3.5: kling-v1-5 pro 5s. */
  readonly motionBrush: { readonly mode: string; readonly duration: string } | null;
  /** REF §3.1: `multi_shot`, `shot_type`, `multi_prompt` are v3 only. */
  readonly multiShot: boolean;
}

const STD_PRO = ['std', 'pro'] as const;
const FIVE_TEN = ['5', '10'] as const;
const STD_PRO_RESOLUTION = { std: '720p', pro: '1080p' } as const;
const V3_DURATIONS = Array.from({ length: 13 }, (_, i) => String(i + 3)); // REF §3.1 [3P]: "3"…"15"

/** REF §3.1, §3.2, §3.5 and the NEW §1.3 legacy table. */
export const LEGACY_MODELS: Readonly<Record<string, LegacyModelCapabilities>> = {
  'kling-v1': {
    discontinued: true,
    families: ['text2video', 'image2video'],
    modes: STD_PRO,
    resolutionByMode: { std: '720p', pro: '720p' },
    durations: FIVE_TEN,
    cfgScale: false,
    soundModes: [],
    soundIgnoredModes: [],
    imageTail: null,
    cameraControl: {
      family: 'text2video',
      mode: 'std',
      duration: '5',
      types: ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'],
    },
    motionBrush: null,
    multiShot: false,
  },
  'kling-v1-5': {
    discontinued: false,
    families: ['image2video'], // REF §3.5: "Text-to-Video Unsupported"
    modes: STD_PRO,
    resolutionByMode: STD_PRO_RESOLUTION,
    durations: FIVE_TEN,
    cfgScale: true,
    soundModes: [],
    soundIgnoredModes: [],
    imageTail: { modes: ['pro'], ignoredModes: [], silentOnly: false, tailOnlyModes: ['pro'] },
    cameraControl: { family: 'image2video', mode: 'pro', duration: '5', types: ['simple'] },
    motionBrush: { mode: 'pro', duration: '5' },
    multiShot: false,
  },
  'kling-v1-6': {
    discontinued: false,
    families: ['text2video', 'image2video'],
    modes: STD_PRO,
    resolutionByMode: STD_PRO_RESOLUTION,
    durations: FIVE_TEN,
    cfgScale: true,
    soundModes: [],
    soundIgnoredModes: [],
    imageTail: { modes: ['pro'], ignoredModes: [], silentOnly: false, tailOnlyModes: ['pro'] },
    cameraControl: null,
    motionBrush: null,
    multiShot: false,
  },
  'kling-v2-master': {
    discontinued: false,
    families: ['text2video', 'image2video'],
    modes: null, // REF §3.5: "5 and 10 (no std/pro split)"
    resolutionByMode: { default: '720p' },
    durations: FIVE_TEN,
    cfgScale: false,
    soundModes: [],
    soundIgnoredModes: [],
    imageTail: null,
    cameraControl: null,
    motionBrush: null,
    multiShot: false,
  },
  'kling-v2-1': {
    discontinued: false,
    families: ['image2video'], // REF §3.5 / seed pitfall 7: I2V only
    modes: STD_PRO,
    resolutionByMode: STD_PRO_RESOLUTION,
    durations: FIVE_TEN,
    cfgScale: false,
    soundModes: [],
    soundIgnoredModes: [],
    imageTail: { modes: ['pro'], ignoredModes: [], silentOnly: false, tailOnlyModes: [] },
    cameraControl: null,
    motionBrush: null,
    multiShot: false,
  },
  'kling-v2-1-master': {
    discontinued: false,
    families: ['text2video', 'image2video'],
    modes: null,
    resolutionByMode: { default: '1080p' },
    durations: FIVE_TEN,
    cfgScale: false,
    soundModes: [],
    soundIgnoredModes: [],
    imageTail: null,
    cameraControl: null,
    motionBrush: null,
    multiShot: false,
  },
  'kling-v2-5-turbo': {
    discontinued: false,
    families: ['text2video', 'image2video'],
    modes: STD_PRO,
    resolutionByMode: STD_PRO_RESOLUTION,
    durations: FIVE_TEN,
    cfgScale: false,
    soundModes: [],
    soundIgnoredModes: [],
    // REF §7 (ArcReel): the API accepts image_tail on std for v2-5-turbo but ignores it.
    imageTail: { modes: ['pro'], ignoredModes: ['std'], silentOnly: false, tailOnlyModes: [] },
    cameraControl: null,
    motionBrush: null,
    multiShot: false,
  },
  'kling-v2-6': {
    discontinued: false,
    families: ['text2video', 'image2video'],
    modes: STD_PRO,
    resolutionByMode: STD_PRO_RESOLUTION,
    durations: FIVE_TEN,
    cfgScale: false,
    soundModes: ['pro'], // REF §3.5: "std gives silent video only"
    soundIgnoredModes: ['std'],
    imageTail: { modes: ['pro'], ignoredModes: ['std'], silentOnly: true, tailOnlyModes: [] },
    cameraControl: null,
    motionBrush: null,
    multiShot: false,
  },
  'kling-v3': {
    discontinued: false,
    families: ['text2video', 'image2video'],
    modes: ['std', 'pro', '4k'], // NEW §1.3: `4k` [OFFICIAL UPD 04/23/2026]
    resolutionByMode: { std: '720p', pro: '1080p', '4k': '4k' },
    durations: V3_DURATIONS,
    cfgScale: false,
    soundModes: ['std', 'pro', '4k'],
    soundIgnoredModes: [],
    imageTail: { modes: ['std', 'pro', '4k'], ignoredModes: [], silentOnly: false, tailOnlyModes: [] },
    cameraControl: null,
    motionBrush: null,
    multiShot: true,
  },
};

/** New-standard `contents[].type` values (NEW §3.2). */
export type ContentType = 'prompt' | 'first_frame' | 'last_frame' | 'element' | 'voice';

export interface NewModelCapabilities {
  readonly products: readonly Product[];
  /** `settings.resolution` values, first = default (NEW §3.1: default `720p`). */
  readonly resolutions: readonly Resolution[];
  /** `settings.duration` integers. */
  readonly durations: readonly number[];
  /** `always`: audio is always generated and there is no field; `field`: `settings.audio`; `none`: no audio. */
  readonly audio: 'always' | 'field' | 'none';
  /** Resolutions at which `audio: native` is allowed; null = all. */
  readonly nativeAudioResolutions: readonly Resolution[] | null;
  /** NEW §1.3: `settings.multi_shot` exists only on kling-3.0. */
  readonly multiShot: boolean;
  /** NEW §1.3 prompt limits, per product (omni-video models live in omni-validation.ts). */
  readonly promptMaxChars: Readonly<Record<Exclude<Product, 'omni-video' | 'motion-control'>, number>>;
  /** NEW §3.2 `contents[].type` enum. */
  readonly contentTypes: readonly ContentType[];
  /** Resolutions at which first + last frame is allowed; null = all. */
  readonly firstLastResolutions: readonly Resolution[] | null;
  /** NEW §1.3 (MAP): first + last "Only supports 1080P silent videos" on 2.6. */
  readonly firstLastSilentOnly: boolean;
  readonly maxElements: number;
  readonly maxVoices: number;
}

const FIVE_OR_TEN = [5, 10] as const;
const THREE_TO_FIFTEEN = Array.from({ length: 13 }, (_, i) => i + 3);

/** NEW §1.3 and §3.1/§3.2. */
export const NEW_MODELS: Readonly<Record<string, NewModelCapabilities>> = {
  'kling-3.0-turbo': {
    products: ['text-to-video', 'image-to-video'],
    resolutions: ['720p', '1080p'],
    durations: THREE_TO_FIFTEEN,
    audio: 'always', // NEW §1.3: "Always on; there is no field"
    nativeAudioResolutions: null,
    multiShot: false,
    promptMaxChars: { 'text-to-video': 3072, 'image-to-video': 2500 }, // NEW §9 item 5: I30T says 2500
    contentTypes: ['prompt', 'first_frame'],
    firstLastResolutions: null,
    firstLastSilentOnly: false,
    maxElements: 0,
    maxVoices: 0,
  },
  'kling-3.0': {
    products: ['text-to-video', 'image-to-video'],
    resolutions: ['720p', '1080p', '4k'],
    durations: THREE_TO_FIFTEEN,
    audio: 'field',
    nativeAudioResolutions: null,
    multiShot: true,
    promptMaxChars: { 'text-to-video': 3072, 'image-to-video': 3072 },
    contentTypes: ['prompt', 'first_frame', 'last_frame', 'element'],
    firstLastResolutions: null,
    firstLastSilentOnly: false,
    maxElements: 3,
    maxVoices: 0,
  },
  'kling-2.6': {
    products: ['text-to-video', 'image-to-video'],
    resolutions: ['720p', '1080p'],
    durations: FIVE_OR_TEN,
    audio: 'field',
    nativeAudioResolutions: ['1080p'], // NEW §1.3: "native audio means 1080p only"
    multiShot: false,
    promptMaxChars: { 'text-to-video': 2500, 'image-to-video': 2500 },
    contentTypes: ['prompt', 'first_frame', 'last_frame', 'voice'],
    firstLastResolutions: ['1080p'],
    firstLastSilentOnly: true,
    maxElements: 0,
    maxVoices: 2,
  },
  'kling-2.5-turbo': {
    products: ['text-to-video', 'image-to-video'],
    resolutions: ['720p', '1080p'],
    durations: FIVE_OR_TEN,
    audio: 'none',
    nativeAudioResolutions: null,
    multiShot: false,
    promptMaxChars: { 'text-to-video': 2500, 'image-to-video': 2500 },
    contentTypes: ['prompt', 'first_frame', 'last_frame'],
    firstLastResolutions: ['1080p'],
    firstLastSilentOnly: false,
    maxElements: 0,
    maxVoices: 0,
  },
};

/** Lookup that respects `noUncheckedIndexedAccess` and ignores inherited keys such as `constructor`. */
export function legacyModel(name: string): LegacyModelCapabilities | undefined {
  return Object.hasOwn(LEGACY_MODELS, name) ? LEGACY_MODELS[name] : undefined;
}

export function newModel(id: string): NewModelCapabilities | undefined {
  return Object.hasOwn(NEW_MODELS, id) ? NEW_MODELS[id] : undefined;
}

/** Legacy `model_name` enum per family (REF §3.1/§3.2 plus `kling-v3`), including the discontinued `kling-v1`. */
export function legacyModelsFor(family: LegacyFamily): string[] {
  return Object.entries(LEGACY_MODELS)
    .filter(([, caps]) => caps.families.includes(family))
    .map(([name]) => name);
}
