import { z } from 'zod';
import { Resolution } from './catalog.js';
import { KlingBudgetExceededError } from './errors.js';
import type { ResolvedRequest } from './resolve-request.js';

/** One price row, in Kling units (what `final_unit_deduction` / `billing[].amount` report). Data, overridable. */
export const PriceRow = z.object({
  model: z.string(),
  resolution: Resolution,
  audio: z.boolean(),
  /** Voice control (voices referenced in the prompt) is priced separately where Kling lists it. */
  voiceControl: z.boolean().default(false),
  /** Omni-video with a reference video (`featureVideo`/`baseVideo`) is priced separately ("With Video Input", §7.1). */
  videoInput: z.boolean().default(false),
  /** Motion control is priced on its own rows (§7.1 "Motion Control"), per second of output. */
  motionControl: z.boolean().default(false),
  /** `per-second`: units × requested seconds. `per-task`: units for exactly `duration` seconds. */
  basis: z.enum(['per-second', 'per-task']),
  duration: z.number().int().optional(),
  units: z.number().nonnegative(),
  confidence: z.enum(['official', 'inferred', 'seed']),
  source: z.string(),
});
export type PriceRow = z.infer<typeof PriceRow>;
export type PriceRowInput = z.input<typeof PriceRow>;

export const PricingTable = z.object({
  /** Credits per Kling unit. 10 web credits ≈ 1 API unit (docs/reference/kling-api.md §6.3), which also reproduces the seed's "5 s standard: 10 credits". */
  creditsPerUnit: z.number().positive().default(10),
  /** Applied to a per-task row that has no audio variant (seed pitfall 9: 5×; docs/reference/kling-api.md calls it unreliable, ≈2× inferred). */
  perTaskAudioMultiplier: z.number().positive().default(5),
  rows: z.array(PriceRow),
});
export type PricingTable = z.infer<typeof PricingTable>;

const OFFICIAL = 'docs/reference/kling-api-new-standard.md §7.1 (official unit table, 1 unit = $0.14)';
const perSecond = (model: string, resolution: Resolution, audio: boolean, units: number, voiceControl = false, videoInput = false): PriceRow => ({
  model,
  resolution,
  audio,
  voiceControl,
  videoInput,
  motionControl: false,
  basis: 'per-second',
  units,
  confidence: 'official',
  source: OFFICIAL,
});
/** Omni rows: "With Video Input" (a feature or base video) is its own row; §7.1 has none with video input and native audio. */
const withVideo = (model: string, resolution: Resolution, units: number) => perSecond(model, resolution, false, units, false, true);
const motion = (model: string, resolution: Resolution, units: number): PriceRow => ({
  ...perSecond(model, resolution, false, units),
  motionControl: true,
});
const perTask = (model: string, resolution: Resolution, duration: number, units: number): PriceRow => ({
  model,
  resolution,
  audio: false,
  voiceControl: false,
  videoInput: false,
  motionControl: false,
  basis: 'per-task',
  duration,
  units,
  confidence: 'inferred',
  source: 'docs/reference/kling-api.md §6.3 (reconstructed; no official table for legacy-only models) and the seed (5 s std = 10 credits)',
});
const legacyFamily = (model: string, std5: number, pro5: number) => [
  perTask(model, '720p', 5, std5),
  perTask(model, '720p', 10, std5 * 2),
  perTask(model, '1080p', 5, pro5),
  perTask(model, '1080p', 10, pro5 * 2),
];

/** Default prices. The official per-second table applies on both standards (legacy std/pro = 720p/1080p). */
export const DEFAULT_PRICE_ROWS: PriceRow[] = [
  perSecond('kling-3.0-turbo', '720p', true, 0.8),
  perSecond('kling-3.0-turbo', '1080p', true, 1.0),
  perSecond('kling-3.0', '720p', false, 0.6),
  perSecond('kling-3.0', '1080p', false, 0.8),
  perSecond('kling-3.0', '4k', false, 3.0),
  perSecond('kling-3.0', '720p', true, 0.9),
  perSecond('kling-3.0', '1080p', true, 1.2),
  perSecond('kling-3.0', '4k', true, 3.0),
  perSecond('kling-3.0-omni', '720p', false, 0.6),
  perSecond('kling-3.0-omni', '1080p', false, 0.8),
  perSecond('kling-3.0-omni', '4k', false, 3.0),
  perSecond('kling-3.0-omni', '720p', true, 0.8),
  perSecond('kling-3.0-omni', '1080p', true, 1.0),
  perSecond('kling-3.0-omni', '4k', true, 3.0),
  withVideo('kling-3.0-omni', '720p', 0.9),
  withVideo('kling-3.0-omni', '1080p', 1.2),
  withVideo('kling-3.0-omni', '4k', 3.0),
  perSecond('kling-o1', '720p', false, 0.6),
  perSecond('kling-o1', '1080p', false, 0.8),
  withVideo('kling-o1', '720p', 0.9),
  withVideo('kling-o1', '1080p', 1.2),
  motion('kling-3.0', '720p', 0.9),
  motion('kling-3.0', '1080p', 1.2),
  motion('kling-2.6', '720p', 0.5),
  motion('kling-2.6', '1080p', 0.8),
  perSecond('kling-2.6', '720p', false, 0.3),
  perSecond('kling-2.6', '1080p', false, 0.5),
  perSecond('kling-2.6', '1080p', true, 1.0),
  perSecond('kling-2.6', '1080p', true, 1.2, true),
  perSecond('kling-2.5-turbo', '720p', false, 0.3),
  perSecond('kling-2.5-turbo', '1080p', false, 0.5),
  ...legacyFamily('kling-v1-6', 1, 3.5),
  ...legacyFamily('kling-v1-5', 1, 3.5),
  ...legacyFamily('kling-v2-1', 1, 3.5),
  perTask('kling-v2-master', '720p', 5, 10),
  perTask('kling-v2-master', '720p', 10, 20),
  perTask('kling-v2-1-master', '1080p', 5, 10),
  perTask('kling-v2-1-master', '1080p', 10, 20),
];

export function createPricingTable(
  overrides: { creditsPerUnit?: number; perTaskAudioMultiplier?: number; rows?: PriceRowInput[] } = {},
): PricingTable {
  const rows = [...DEFAULT_PRICE_ROWS];
  for (const row of z.array(PriceRow).parse(overrides.rows ?? [])) {
    const i = rows.findIndex(
      (r) =>
        r.model === row.model &&
        r.resolution === row.resolution &&
        r.audio === row.audio &&
        r.voiceControl === row.voiceControl &&
        r.videoInput === row.videoInput &&
        r.motionControl === row.motionControl &&
        r.duration === row.duration,
    );
    if (i >= 0) rows[i] = row;
    else rows.push(row);
  }
  return PricingTable.parse({ ...overrides, rows });
}

/**
 * The default table (no overrides), built once and shared: estimates without a configured table (a worker or client given
 * no `pricing`) used to parse every default row again per estimate, about 58 KB of garbage and its CPU per generation
 * (issue 16; docs/benchmark.md). Nothing modifies a table, so sharing it changes no estimate; it is frozen so that no
 * caller can change it for the others.
 */
export const defaultPricingTable: () => PricingTable = (() => {
  let table: PricingTable | undefined;
  return () => {
    if (!table) {
      const built = createPricingTable();
      for (const row of built.rows) Object.freeze(row);
      Object.freeze(built.rows);
      table = Object.freeze(built);
    }
    return table;
  };
})();

/** A cost estimate. `credits` is what budgets compare against. */
export const CreditEstimate = z.object({
  credits: z.number(),
  units: z.number(),
  /** Credits per Kling unit used here: actual credits = Kling's deducted units × this. */
  creditsPerUnit: z.number(),
  model: z.string(),
  resolution: Resolution,
  durationSeconds: z.number(),
  audio: z.boolean(),
  /** Omni-video priced with a reference video ("With Video Input"); absent for other kinds. */
  videoInput: z.boolean().optional(),
  /**
   * Motion control: Kling bills the output's seconds, rounded (MC; UPD 12/22/2025), and the output follows the motion
   * video, so `durationSeconds` is an assumption (the caller's `duration`, else the longest the orientation allows);
   * the deduction Kling reports is the actual cost.
   */
  assumedOutputDuration: z.boolean().optional(),
  /**
   * The estimate in words: model, kind, resolution, audio, rate × seconds, and for motion control the output duration
   * assumed and why (the ledger then records what Kling deducted). Absent on estimates recorded before it existed.
   */
  description: z.string().optional(),
  /** Multiplier of the audio price over the silent price for this request (1 when silent). */
  audioMultiplier: z.number(),
  basis: z.enum(['per-second', 'per-task']),
  confidence: z.enum(['official', 'inferred', 'seed']),
  source: z.string(),
});
export type CreditEstimate = z.infer<typeof CreditEstimate>;

/** Thrown when the table has no price for a request; add a row through configuration. */
export class PriceNotFoundError extends Error {
  override readonly name = 'PriceNotFoundError';
}

/** Estimates what a validated request will cost, audio included (seed pitfall 9). */
export function estimateCredits(resolved: ResolvedRequest, table: PricingTable = defaultPricingTable()): CreditEstimate {
  const { model, resolution, duration, audio } = resolved;
  const voice = (resolved.request.voices?.length ?? 0) > 0;
  const videoInput = resolved.request.kind === 'omni-video' && (resolved.request.featureVideo ?? resolved.request.baseVideo) !== undefined;
  const motionControl = resolved.request.kind === 'motion-control';
  const units = (withAudio: boolean) => priceUnits(table, model.id, resolution, duration, withAudio, withAudio && voice, videoInput, motionControl);
  const chosen = units(audio);
  const silent = audio ? (tryUnits(() => units(false)) ?? chosen.units) : chosen.units;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const description = describeEstimate(resolved, chosen.row, round(chosen.units), round(chosen.units * table.creditsPerUnit), videoInput);
  return {
    credits: round(chosen.units * table.creditsPerUnit),
    units: round(chosen.units),
    creditsPerUnit: table.creditsPerUnit,
    model: model.id,
    resolution,
    durationSeconds: duration,
    audio,
    ...(resolved.request.kind === 'omni-video' ? { videoInput } : {}),
    ...(motionControl ? { assumedOutputDuration: true } : {}),
    description,
    audioMultiplier: silent > 0 ? round(chosen.units / silent) : 1,
    basis: chosen.row.basis,
    confidence: chosen.row.confidence,
    source: chosen.row.source,
  };
}

/**
 * `kling-3.0 motion-control at 1080p, audio original: 1.2 units/s × 30 s of output assumed (…) = 36 units = 360 credits`.
 * Motion control says which output duration it assumed and why: Kling bills the output's seconds, rounded (MC; UPD
 * 12/22/2025), and the output follows the motion video, whose length only Kling measures.
 */
function describeEstimate(resolved: ResolvedRequest, row: PriceRow, units: number, credits: number, videoInput: boolean): string {
  const { request: r, model, resolution, duration, audio, audioMode } = resolved;
  const sound = audioMode && audioMode !== 'native' && audioMode !== 'off' ? `audio ${audioMode}` : audio ? 'native audio' : 'silent';
  const what = `${model.id} ${r.kind} at ${resolution}, ${sound}${videoInput ? ', with video input' : ''}${(r.voices?.length ?? 0) > 0 && audio ? ', voice control' : ''}`;
  const total = `= ${units} units = ${credits} credits`;
  if (r.kind === 'motion-control') {
    const why =
      r.duration !== undefined
        ? 'the duration you gave'
        : `the longest motion video characterOrientation "${r.characterOrientation ?? 'video'}" allows; give duration to estimate closer`;
    // The legacy body names no model (REF §3.4): the model_name sent is assumed to choose it (kling-3.0 and kling-2.6 differ in price).
    const legacy =
      resolved.standard === 'legacy'
        ? `; on the legacy standard, model_name "${model.standards.legacy?.modelName ?? model.id}" is assumed to choose the model (the documented body names none)`
        : '';
    return `${what}: ${row.units} units/s × ${duration} s of output assumed (${why}) ${total}. Kling bills the output's seconds, rounded; the ledger records its actual deduction${legacy}`;
  }
  if (row.basis === 'per-task') return `${what}: ${units} units for a ${duration} s task (${row.confidence} price) ${total}`;
  return `${what}: ${row.units} units/s × ${duration} s ${total}`;
}

function tryUnits(fn: () => { units: number }): number | undefined {
  try {
    return fn().units;
  } catch {
    return undefined;
  }
}

function priceUnits(
  table: PricingTable,
  model: string,
  resolution: Resolution,
  duration: number,
  audio: boolean,
  voiceControl: boolean,
  videoInput = false,
  motionControl = false,
): { units: number; row: PriceRow } {
  const perSecondRow = table.rows.find(
    (r) =>
      r.basis === 'per-second' &&
      r.model === model &&
      r.resolution === resolution &&
      r.audio === audio &&
      r.voiceControl === voiceControl &&
      r.videoInput === videoInput &&
      r.motionControl === motionControl,
  );
  if (perSecondRow) return { units: perSecondRow.units * duration, row: perSecondRow };
  const taskRow = (withAudio: boolean) =>
    table.rows.find(
      (r) =>
        r.basis === 'per-task' &&
        r.model === model &&
        r.resolution === resolution &&
        r.audio === withAudio &&
        r.voiceControl === voiceControl &&
        r.videoInput === videoInput &&
        r.motionControl === motionControl &&
        r.duration === duration,
    );
  const exact = taskRow(audio);
  if (exact) return { units: exact.units, row: exact };
  const silentRow = audio ? taskRow(false) : undefined;
  if (silentRow) return { units: silentRow.units * table.perTaskAudioMultiplier, row: { ...silentRow, audio: true, confidence: 'seed' } };
  throw new PriceNotFoundError(
    `no price for ${model} at ${resolution}, ${duration} s, audio ${audio ? 'on' : 'off'}${voiceControl ? ' with voice control' : ''}${videoInput ? ' with video input' : ''}${motionControl ? ' (motion control)' : ''}; add a pricing row (KLING_PRICING_FILE)`,
  );
}

/** Refuses a request whose estimate exceeds `maxCredits` (nothing is submitted). */
export function assertWithinBudget(estimate: CreditEstimate, maxCredits: number | undefined): void {
  if (maxCredits !== undefined && estimate.credits > maxCredits) throw new KlingBudgetExceededError(estimate.credits, maxCredits);
}
