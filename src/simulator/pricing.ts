/**
 * The simulator's own unit-price table (1 unit ≈ $0.14). Written from REF §6.3 (legacy, [INFERRED] there)
 * and NEW §7.1 (the official per-second table). Units are charged only when a task succeeds.
 */
import type { Resolution, TaskSpec } from './task-spec.js';

/** Replaces the built-in price of a task; return undefined to keep it. */
export type PriceOverride = (spec: TaskSpec) => number | undefined;

type PerTask = Readonly<Record<string, Readonly<Record<string, number>>>>; // mode → duration → units

// REF §6.3 legacy per-task table. `default` is the mode key of mode-less (master) models.
const V1_X: PerTask = { std: { '5': 1, '10': 2 }, pro: { '5': 3.5, '10': 7 } };
const MASTER: PerTask = { default: { '5': 10, '10': 20 } };
// REF §6.3 and NEW §7.1 ("legacy std/pro = 720p/1080p at these rates"): 0.3/s at 720p, 0.5/s at 1080p.
const TURBO_LIKE: PerTask = { std: { '5': 1.5, '10': 3 }, pro: { '5': 2.5, '10': 5 } };

const LEGACY_PER_TASK: Readonly<Record<string, PerTask>> = {
  'kling-v1': V1_X,
  'kling-v1-5': V1_X,
  'kling-v1-6': V1_X,
  'kling-v2-master': MASTER,
  'kling-v2-1-master': MASTER,
  // Not in any table: assumed to cost like the other std/pro v2 models.
  'kling-v2-1': TURBO_LIKE,
  'kling-v2-5-turbo': TURBO_LIKE,
  'kling-v2-6': TURBO_LIKE,
};

type PerSecond = Readonly<Partial<Record<Resolution, number>>>;

interface PerSecondRates {
  readonly silent: PerSecond;
  readonly audio: PerSecond;
  readonly audioWithVoice: PerSecond;
  /** Omni "With Video Input" (NEW §7.1; no row combines it with native audio). */
  readonly videoInput?: PerSecond;
}

// NEW §7.1 [OFFICIAL PRICE], units per second.
const KLING_3_0: PerSecondRates = {
  silent: { '720p': 0.6, '1080p': 0.8, '4k': 3.0 },
  audio: { '720p': 0.9, '1080p': 1.2, '4k': 3.0 },
  audioWithVoice: { '720p': 0.9, '1080p': 1.2, '4k': 3.0 },
};
const KLING_2_6: PerSecondRates = {
  silent: { '720p': 0.3, '1080p': 0.5 },
  audio: { '1080p': 1.0 },
  audioWithVoice: { '1080p': 1.2 }, // UPD 12/16/2025: "2.6 with voice = 6 units per 5 s"
};
// NEW §7.1 [OFFICIAL PRICE]: Kling 3.0 Omni and Kling O1 (omni-video).
const KLING_3_0_OMNI: PerSecondRates = {
  silent: { '720p': 0.6, '1080p': 0.8, '4k': 3.0 },
  audio: { '720p': 0.8, '1080p': 1.0, '4k': 3.0 },
  audioWithVoice: {},
  videoInput: { '720p': 0.9, '1080p': 1.2, '4k': 3.0 },
};
const KLING_O1: PerSecondRates = {
  silent: { '720p': 0.6, '1080p': 0.8 },
  audio: {},
  audioWithVoice: {},
  videoInput: { '720p': 0.9, '1080p': 1.2 },
};
const PER_SECOND: Readonly<Record<string, PerSecondRates>> = {
  'kling-3.0-omni': KLING_3_0_OMNI,
  'kling-o1': KLING_O1,
  // Legacy names of the same models (NEW §1.2); NEW §7.1: "legacy std/pro = 720p/1080p at these rates".
  'kling-v3-omni': KLING_3_0_OMNI,
  'kling-video-o1': KLING_O1,
  // NEW §7.1: Turbo only has the "With Native Audio" row — it is always billed at the audio rate.
  'kling-3.0-turbo': { silent: { '720p': 0.8, '1080p': 1.0 }, audio: { '720p': 0.8, '1080p': 1.0 }, audioWithVoice: { '720p': 0.8, '1080p': 1.0 } },
  'kling-3.0': KLING_3_0,
  'kling-v3': KLING_3_0, // legacy id of the same model (NEW §1.2); REF §6.3's 3P v3 rates are corrected by NEW §9 item 20
  'kling-2.6': KLING_2_6,
  'kling-2.5-turbo': { silent: { '720p': 0.3, '1080p': 0.5 }, audio: {}, audioWithVoice: {} },
};

// kling-v2-6 pro with sound: NEW §7.1 "2.6 native costs 2× silent" (1.0/s at 1080p); with voice control 1.2/s.
const V2_6_PRO_SOUND: Readonly<Record<string, number>> = { '5': 5, '10': 10 };
const V2_6_PRO_SOUND_VOICE: Readonly<Record<string, number>> = { '5': 6, '10': 12 };

// NEW §7.1 "Motion Control" rows, per second of output (MC: billed on the output duration, rounded).
const MOTION_CONTROL: Readonly<Record<string, PerSecond>> = {
  'kling-3.0': { '720p': 0.9, '1080p': 1.2 },
  'kling-2.6': { '720p': 0.5, '1080p': 0.8 },
  // The legacy motion-control body's model_name (assumed: REF §3.4 names no model field), same rows.
  'kling-v3': { '720p': 0.9, '1080p': 1.2 },
  'kling-v2-6': { '720p': 0.5, '1080p': 0.8 },
};

/** Units a task costs when it succeeds. Throws if the table has no entry (a validator bug). */
export function unitPrice(spec: TaskSpec): number {
  if (spec.product === 'motion-control') {
    const rate = MOTION_CONTROL[spec.model]?.[spec.resolution];
    if (rate === undefined) throw new Error(`no motion-control unit price for ${spec.model} at ${spec.resolution}`);
    return roundUnits(rate * Math.round(spec.durationSeconds));
  }
  const perSecond = PER_SECOND[spec.model];
  if (perSecond !== undefined) {
    const table =
      spec.videoInput === true && perSecond.videoInput !== undefined
        ? perSecond.videoInput
        : spec.audio
          ? spec.voiceControl
            ? perSecond.audioWithVoice
            : perSecond.audio
          : perSecond.silent;
    const rate = table[spec.resolution];
    if (rate === undefined) throw new Error(`no unit price for ${spec.model} at ${spec.resolution} (audio=${spec.audio})`);
    return roundUnits(rate * spec.durationSeconds);
  }
  const duration = String(spec.durationSeconds);
  if (spec.model === 'kling-v2-6' && spec.audio) {
    const units = (spec.voiceControl ? V2_6_PRO_SOUND_VOICE : V2_6_PRO_SOUND)[duration];
    if (units !== undefined) return units;
  }
  const units = LEGACY_PER_TASK[spec.model]?.[spec.mode ?? 'default']?.[duration];
  if (units === undefined) throw new Error(`no unit price for ${spec.model} mode=${spec.mode ?? 'default'} duration=${duration}`);
  return units;
}

/** Avoids binary-float noise such as 0.8 × 3 = 2.4000000000000004. */
export function roundUnits(units: number): number {
  return Math.round(units * 10_000) / 10_000;
}

/** REF §4.3 / NEW §3.5: amounts travel as decimal strings ("2.4", "3.5", "8"). */
export function formatUnits(units: number): string {
  return String(roundUnits(units));
}
