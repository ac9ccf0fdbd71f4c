import { z } from 'zod';
import { CallbackOptionsSchema } from './callbacks.js';
import type { NowFn } from './clock.js';
import type { OutcomeRule } from './outcomes.js';
import type { PriceOverride } from './pricing.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const fn = <T>(name: string) => z.custom<T>((value) => typeof value === 'function', { message: `${name} must be a function` });

export const AccessKeyPairSchema = z.object({
  accessKey: z.string().min(1),
  secretKey: z.string().min(1),
});
export type AccessKeyPair = z.infer<typeof AccessKeyPairSchema>;

export const TaskScheduleSchema = z.object({
  /** ms a task stays `submitted` before it turns `processing`. */
  submittedMs: z.number().int().min(0).default(200),
  /** ms a task stays `processing` before it reaches its terminal status. */
  processingMs: z.number().int().min(0).default(800),
});

export const ConcurrencySchema = z.object({
  /** Slots per bucket (NEW §6: trial packs are "5Con"). */
  limit: z.number().int().min(1).default(5),
  /**
   * NEW §6: "account, model version, and resource package type" → `'model'` (one counter per model id as
   * named in the request, so legacy `kling-v2-6` and new `kling-2.6` count separately). REF §6.1 (older)
   * says per pack type only → `'packType'` (one counter for every video task).
   */
  bucket: z.enum(['model', 'packType']).default('model'),
});

export const SimulatorOptionsSchema = z.object({
  /** Interface to listen on. */
  host: z.string().min(1).default('127.0.0.1'),
  /**
   * Base of the URLs the simulator hands out for its CDN (result videos), e.g. `http://kling-simulator:8787` when it
   * listens on 0.0.0.0 in a container. Default: the address it listens on.
   */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** TCP port; 0 picks a free one. */
  port: z.number().int().min(0).max(65535).default(0),
  /** API keys accepted on both standards (NEW §2). */
  apiKeys: z.array(z.string().min(1)).default(['sim-api-key']),
  /** AK/SK pairs whose HS256 JWTs are accepted on legacy and account routes (REF §2). */
  accessKeys: z.array(AccessKeyPairSchema).default([{ accessKey: 'sim-ak', secretKey: 'sim-sk' }]),
  /** Injectable clock in Unix ms (see `ManualClock`); defaults to `Date.now`. */
  now: fn<NowFn>('now').optional(),
  /** Time spent in each non-terminal status. */
  schedule: TaskScheduleSchema.prefault({}),
  /** Tasks reach `processing` and stay there forever (for client deadline tests). */
  neverFinish: z.boolean().default(false),
  /** Decides per task whether it fails (and with which message) or never finishes. */
  outcome: fn<OutcomeRule>('outcome').optional(),
  /** Honour `[sim:fail <reason>]` and `[sim:never]` markers inside prompts. */
  promptMarkers: z.boolean().default(true),
  /** How long a result URL stays downloadable after the task finished (REF §6.2: 30 days). */
  videoUrlTtlMs: z
    .number()
    .int()
    .min(0)
    .default(30 * DAY_MS),
  /** HTTP status for an expired media URL (REF §6.2: "403/404"; 403 by default). */
  expiredVideoStatus: z.union([z.literal(403), z.literal(404)]).default(403),
  /**
   * Size of every generated MP4 in bytes, at most 2 GiB (the benchmark rehosts 1 GiB videos). Each file is
   * built whole in memory on its first download and cached (up to 32 files), so large sizes cost that much RAM.
   */
  videoSizeBytes: z
    .number()
    .int()
    .min(64)
    .max(2 * 1024 * 1024 * 1024)
    .default(64 * 1024),
  /** Concurrent-task limit (NEW §6, REF §6.1). */
  concurrency: ConcurrencySchema.prefault({}),
  /** Prepaid video units in the account's pack; a create that would exceed it gets 429/1102. */
  unitBalance: z.number().min(0).default(1_000_000),
  /** Overrides the built-in unit price of a task (return undefined to keep the built-in price). */
  priceOverride: fn<PriceOverride>('priceOverride').optional(),
  /**
   * Multiplies every task's price (after `priceOverride`): what is reserved, charged and reported. 1 = the
   * published table; 1.25 makes Kling charge 25 % more than a client's estimate (price drift tests).
   */
  priceSkew: z.number().positive().default(1),
  /**
   * What a failed task deducts. Unset (default): nothing, and no deduction is reported (REF §6.3 quotes "No credits
   * will be deducted for failed tasks" from a possibly copycat page; NEW §7.1: "neither vendor-documented nor
   * measured"). A number of units (0 included) or `'full'` (the task's price): deducted from the pack, reported in
   * `final_unit_deduction` / `billing[]` and recorded in the deduction ledger, so clients can be tested to record it.
   */
  failedTaskDeduction: z.union([z.number().min(0), z.literal('full')]).optional(),
  /**
   * New-standard task objects carry `billing[]` once charged (`'report'`, NEW §3.5), or never (`'omit'`): a client
   * must then find the deduction in `POST /account/billing/package`.
   */
  newTaskBilling: z.enum(['report', 'omit']).default('report'),
  /**
   * How far `remaining_quantity` of `GET /account/costs` lags behind deductions (NEW §7.2: "remaining quantity
   * statistics have a 12h delay"). Default 0 (current); creates are always checked against the current balance.
   */
  remainingQuantityLagMs: z.number().int().min(0).default(0),
  /**
   * `GET /account/costs` requests allowed per rolling second of real time (NEW §7.2: "control the request rate
   * (QPS<=1)"); the next one gets 429/1302. Kling's enforcement is unobserved; `null` turns the limit off.
   */
  accountCostsQps: z.number().int().min(1).nullable().default(1),
  /**
   * Answer to a legacy query for an unknown task. NEW §3.8 observed 400/1201 "Task not found by id/external id";
   * REF §5 had guessed 404/1203.
   */
  legacyTaskNotFound: z.enum(['400/1201', '404/1203']).default('400/1201'),
  /** Answer to a new-standard create for a model id that has no such product (ERR: 404/1203 "resource does not exist"). */
  unknownNewModel: z.enum(['404/1203', '400/1201']).default('404/1203'),
  /**
   * true: every capability violation is 400/1201. false: accept and silently drop the parameters the references
   * say the real API ignores (REF §7 problem 9: `image_tail` on std v2-5/v2-6, `cfg_scale` on v2.x, `sound` on v2-6 std…).
   */
  strictCapabilities: z.boolean().default(true),
  /** Unknown body keys → 400/1201 (NEW §8 simulator shape); false silently drops them. */
  rejectUnknownFields: z.boolean().default(true),
  /**
   * Which legacy external-id lookup forms are served (REF §1.3): `{id}` in the path, `?external_task_id=`, or both.
   * A disabled query form degrades to the list endpoint, as an unknown query parameter would.
   */
  externalIdLookup: z.enum(['path-and-query', 'path', 'query']).default('path-and-query'),
  /** New standard: `settings.duration` sent as a string such as "5" (NEW §8: 1201 by default, unobserved). */
  newStringDuration: z.enum(['reject', 'accept']).default('reject'),
  /** New standard: Base64 image with a `data:` prefix (NEW §8: 1201 by default, unobserved; legacy always rejects it). */
  newDataUriImages: z.enum(['reject', 'accept']).default('reject'),
  /** Callbacks to tasks' callback URLs: signing secrets, timeout, retries (NEW §4; see callbacks.ts). */
  callbacks: CallbackOptionsSchema.prefault({}),
  /** Seed for the fault-injection PRNG. */
  seed: z.number().int().default(1),
});

/** What `startSimulator` accepts: every field optional. */
export type SimulatorOptions = z.input<typeof SimulatorOptionsSchema>;
/** The options after defaults were applied. */
export type ResolvedSimulatorOptions = z.infer<typeof SimulatorOptionsSchema>;

/** Validates options and fills in defaults; throws a ZodError naming the bad option. */
export function resolveOptions(options: SimulatorOptions | undefined): ResolvedSimulatorOptions {
  return SimulatorOptionsSchema.parse(options ?? {});
}
