/**
 * Kling's account endpoints (docs/reference/kling-api-new-standard.md §7.2; docs/reference/kling-api.md §1.2, §6.3): the resource packs and
 * their remaining units (`GET /account/costs`), and the per-task unit ledger (`POST /account/billing/package`).
 * Both are authenticated like the legacy routes (the API key, else an AK/SK JWT) and have no `/v1` prefix.
 */
import { z } from 'zod';
import { KlingValidationError } from './errors.js';
import { callKling, type HttpOptions } from './http.js';
import type { Clock } from './jwt-provider.js';

/** §7.2: "free to call … Please note to control the request rate (QPS<=1)". */
const COSTS_MIN_INTERVAL_MS = 1_000;
/** Default window of `getAccountCosts()` without times: the past year (packs are bought for a year or less). */
const DEFAULT_COSTS_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;
/** §7.2: `limit` default and maximum 500. */
const LEDGER_PAGE_LIMIT = 500;
/** Default window of a deduction lookup when the task's creation time is unknown (URLs and tasks live 30 days). */
const DEFAULT_DEDUCTION_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
/** A lookup reads at most this many ledger pages (× 500 records) before giving up. */
const DEFAULT_MAX_LEDGER_PAGES = 20;

/** Numbers arrive as numbers per §7.2; tolerate a numeric string rather than fail a balance check on it. */
const numeric = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);

/** One resource pack of `GET /account/costs` (§7.2), in the client's vocabulary. */
export const ResourcePack = z
  .looseObject({
    resource_pack_name: z.string(),
    resource_pack_id: z.string(),
    resource_pack_type: z.string().optional(),
    total_quantity: numeric,
    remaining_quantity: numeric,
    purchase_time: numeric.optional(),
    effective_time: numeric.optional(),
    invalid_time: numeric.optional(),
    /** `toBeOnline`, `online`, `expired`, `runOut` (kept as a string: an unknown status must not fail the call). */
    status: z.string(),
  })
  .transform((p) => ({
    name: p.resource_pack_name,
    id: p.resource_pack_id,
    /** `decreasing_total` or `constant_period`. */
    type: p.resource_pack_type,
    totalUnits: p.total_quantity,
    /** Kling: "remaining quantity statistics have a 12h delay" — an upper bound of what is really left. */
    remainingUnits: p.remaining_quantity,
    purchaseTime: p.purchase_time,
    effectiveTime: p.effective_time,
    invalidTime: p.invalid_time,
    status: p.status,
  }));
export type ResourcePack = z.output<typeof ResourcePack>;

const AccountCostsData = z.looseObject({
  code: z.number().optional(),
  msg: z.string().optional(),
  resource_pack_subscribe_infos: z.array(ResourcePack).default([]),
});

/** What `getAccountCosts` returns. */
export interface AccountCosts {
  packs: ResourcePack[];
  /** When this answer was fetched (client clock, ms): cached answers keep their original time. */
  fetchedAt: number;
}

/** One record of the unit ledger (§7.2 `detail`), in the client's vocabulary. */
export const PackageDeduction = z
  .looseObject({
    task_id: z.string(),
    api_key_name: z.string().optional(),
    product_function: z.string().optional(),
    model_name: z.string().optional(),
    resolution: z.string().optional(),
    duration: z.string().optional(),
    deduction_time: numeric.optional(),
    package_id: z.string().optional(),
    product_type: z.string().optional(),
    unit_before_deduction: numeric.optional(),
    deduction_amount: numeric,
    unit_after_deduction: numeric.optional(),
  })
  .transform((d) => ({
    taskId: d.task_id,
    units: d.deduction_amount,
    deductedAt: d.deduction_time,
    packageId: d.package_id,
    productType: d.product_type,
    model: d.model_name,
    apiKeyName: d.api_key_name,
    unitsBefore: d.unit_before_deduction,
    unitsAfter: d.unit_after_deduction,
  }));
export type PackageDeduction = z.output<typeof PackageDeduction>;

const BillingPackageData = z.looseObject({
  result: z.looseObject({ detail: z.array(PackageDeduction).default([]), count: z.number().optional() }).optional(),
  next_cursor: z.string().optional(),
  has_more: z.boolean().default(false),
});

/** The units Kling's ledger records against one task (the sum of its records; usually one). */
export interface TaskDeduction {
  taskId: string;
  units: number;
  records: PackageDeduction[];
}

export interface AccountCostsQuery {
  /** Window start (Unix ms). With `endTime` omitted too: the past year, and the answer is cached as "current". */
  startTime?: number;
  endTime?: number;
  resourcePackName?: string;
}

export interface TaskDeductionQuery {
  /** Earliest deduction time to search (ms). Default: 30 days ago. Pass the task's creation time when known. */
  startTime?: number;
  /** Latest deduction time (ms). Default: now. */
  endTime?: number;
  /** Pages of 500 records read at most. Default 20. */
  maxPages?: number;
  signal?: AbortSignal;
}

export interface AccountApiOptions {
  /** How long a `GET /account/costs` answer is reused. Default 60 s; 0 disables the cache (calls are still spaced ≥ 1 s). */
  costsCacheTtlMs?: number;
  /** Clock for the cache (ms). */
  now?: Clock;
}

/**
 * Account endpoints with the rate rules the reference asks for: `GET /account/costs` answers are cached per
 * query for `costsCacheTtlMs`, concurrent identical queries share one request, and requests are spaced at
 * least 1 s apart (QPS ≤ 1). One instance per KlingClient, so everything that shares a client shares this.
 */
export class KlingAccountApi {
  readonly #http: HttpOptions;
  readonly #ttlMs: number;
  readonly #now: Clock;
  readonly #cache = new Map<string, { value: AccountCosts; expiresAt: number }>();
  readonly #inFlight = new Map<string, Promise<AccountCosts>>();
  /** Serialises `/account/costs` requests; resolves with the real time the previous one was sent. */
  #gate: Promise<number> = Promise.resolve(Number.NEGATIVE_INFINITY);

  constructor(http: HttpOptions, options: AccountApiOptions = {}) {
    const ttl = options.costsCacheTtlMs ?? 60_000;
    if (!Number.isFinite(ttl) || ttl < 0)
      throw new KlingValidationError([{ field: 'accountCostsCacheTtlMs', message: 'must be a non-negative number of ms' }]);
    this.#http = http;
    this.#ttlMs = ttl;
    this.#now = options.now ?? Date.now;
  }

  /** The account's resource packs with total and remaining units. Cached (see the class comment). */
  async getAccountCosts(query: AccountCostsQuery = {}, options: { signal?: AbortSignal } = {}): Promise<AccountCosts> {
    const { startTime, endTime } = query;
    for (const [field, value] of [
      ['startTime', startTime],
      ['endTime', endTime],
    ] as const)
      if (value !== undefined && (!Number.isInteger(value) || value < 0))
        throw new KlingValidationError([{ field, message: 'must be a Unix time in ms (a non-negative integer)' }]);
    if (startTime !== undefined && endTime !== undefined && startTime > endTime)
      throw new KlingValidationError([{ field: 'startTime', message: 'must not be later than endTime' }]);
    const current = startTime === undefined && endTime === undefined;
    const key = JSON.stringify([current ? 'current' : [startTime, endTime], query.resourcePackName ?? null]);
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > this.#now()) return cached.value;
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const request = this.#fetchCosts(query, options.signal).then((value) => {
      if (this.#ttlMs > 0) this.#cache.set(key, { value, expiresAt: value.fetchedAt + this.#ttlMs });
      return value;
    });
    this.#inFlight.set(key, request);
    try {
      return await request;
    } finally {
      this.#inFlight.delete(key);
    }
  }

  /**
   * The units Kling's package ledger records against `taskId`, or undefined when no record is found in the
   * window. The ledger has no task-id filter (§7.2 lists `api_key_name`, `product_type`, `package_name`,
   * `package_id`), so video records are paged through (cursor, 500 per page) and matched here.
   */
  async getTaskDeduction(taskId: string, query: TaskDeductionQuery = {}): Promise<TaskDeduction | undefined> {
    if (!taskId) throw new KlingValidationError([{ field: 'taskId', message: 'is required' }]);
    const now = this.#now();
    const endTime = query.endTime ?? now;
    const startTime = Math.min(query.startTime ?? now - DEFAULT_DEDUCTION_WINDOW_MS, endTime - 1);
    const maxPages = query.maxPages ?? DEFAULT_MAX_LEDGER_PAGES;
    const records: PackageDeduction[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page += 1) {
      const data = await callKling(
        this.#http,
        {
          operation: 'account',
          method: 'POST',
          standard: 'legacy',
          path: '/account/billing/package',
          // §7.2: the cursor "overrides all other parameters"; start/end are "required when cursor is empty".
          body: cursor
            ? { cursor }
            : { start_time: startTime, end_time: endTime, limit: LEDGER_PAGE_LIMIT, filters: [{ key: 'product_type', values: ['video'] }] },
          signal: query.signal,
        },
        BillingPackageData,
      );
      records.push(...(data.result?.detail ?? []).filter((d) => d.taskId === taskId));
      if (!data.has_more || !data.next_cursor) break;
      cursor = data.next_cursor;
    }
    if (records.length === 0) return undefined;
    return { taskId, units: Math.round(records.reduce((sum, r) => sum + r.units, 0) * 10_000) / 10_000, records };
  }

  async #fetchCosts(query: AccountCostsQuery, signal: AbortSignal | undefined): Promise<AccountCosts> {
    const endTime = query.endTime ?? this.#now();
    const startTime = query.startTime ?? Math.max(0, endTime - DEFAULT_COSTS_WINDOW_MS);
    const done = await this.#spaceCostsRequest(signal);
    try {
      const data = await callKling(
        this.#http,
        {
          operation: 'account',
          method: 'GET',
          standard: 'legacy',
          path: '/account/costs',
          query: { start_time: String(startTime), end_time: String(endTime), resource_pack_name: query.resourcePackName },
          signal,
        },
        AccountCostsData,
      );
      return { packs: data.resource_pack_subscribe_infos, fetchedAt: this.#now() };
    } finally {
      done();
    }
  }

  /**
   * Waits until ≥ 1 s (real time) has passed since the previous `/account/costs` request was answered (answered,
   * not sent: Kling counts arrivals, which lie between the two). Returns the function to call once this request ends.
   */
  async #spaceCostsRequest(signal: AbortSignal | undefined): Promise<() => void> {
    const previous = this.#gate;
    let release!: (endedAt: number) => void;
    this.#gate = new Promise((resolve) => (release = resolve));
    const last = await previous;
    try {
      const wait = last + COSTS_MIN_INTERVAL_MS - Date.now();
      if (wait > 0) await sleep(wait, signal);
    } catch (err) {
      release(last);
      throw err;
    }
    return () => release(Date.now());
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Remaining units of the packs that can pay now (`status: online`). §7.2 gives a pack no product type, so pass
 * only video packs (e.g. filtered by `resourcePackName`) where the account also holds image or try-on packs.
 */
export function onlineUnits(packs: readonly ResourcePack[]): number {
  return Math.round(packs.filter((p) => p.status === 'online').reduce((sum, p) => sum + Math.max(0, p.remainingUnits), 0) * 10_000) / 10_000;
}
