/** `GET /account/costs` (REF §1.2, §6.3; NEW §7.2): the account's single simulated video pack. */
import { invalidParameter, rateLimited } from './errors.js';
import { successResponse, type SimResponse } from './http-response.js';
import type { RouteContext } from './route-context.js';
import type { SimulatorCore } from './simulator-core.js';

export const SIMULATED_PACK_NAME = 'Simulator-Video-Units';
export const SIMULATED_PACK_ID = 'sim-video-pack';
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
const SECOND_MS = 1_000;

function requiredTime(raw: string | null, name: string): number {
  if (raw === null || !/^\d+$/.test(raw)) throw invalidParameter(`${name} is required and must be a Unix time in ms`);
  return Number(raw);
}

/**
 * NEW §7.2 "Please note to control the request rate (QPS<=1)": more than `accountCostsQps` accepted calls within
 * one second of real time → 429/1302 (REF §5: "Requests too fast"). Refused calls do not count.
 */
function enforceQps(core: SimulatorCore): void {
  const limit = core.options.accountCostsQps;
  if (limit === null) return;
  const now = Date.now();
  const calls = core.accountCostsCalls;
  while (calls.length > 0 && (calls[0] ?? 0) <= now - SECOND_MS) calls.shift();
  if (calls.length >= limit) throw rateLimited(`Requests too fast: GET /account/costs allows ${limit} request(s) per second`);
  calls.push(now);
}

/**
 * NEW §7.2: `start_time` and `end_time` are both required ints; `resource_pack_name` optionally filters.
 * `remaining_quantity` lags deductions by `remainingQuantityLagMs` ("remaining quantity statistics have a 12h delay").
 */
export function accountCosts(startedAt: number) {
  return (context: RouteContext): SimResponse => {
    enforceQps(context.core);
    const query = context.url.searchParams;
    const start = requiredTime(query.get('start_time'), 'start_time');
    const end = requiredTime(query.get('end_time'), 'end_time');
    if (start > end) throw invalidParameter('start_time must not be later than end_time');
    const name = query.get('resource_pack_name');
    const { balance, options } = context.core;
    const remaining = balance.remainingAsOf(context.core.now() - options.remainingQuantityLagMs);
    const pack = {
      resource_pack_name: SIMULATED_PACK_NAME,
      resource_pack_id: SIMULATED_PACK_ID,
      resource_pack_type: 'decreasing_total',
      total_quantity: balance.totalUnits,
      remaining_quantity: remaining,
      purchase_time: startedAt,
      effective_time: startedAt,
      invalid_time: startedAt + YEAR_MS,
      status: remaining > 0 ? 'online' : 'runOut',
    };
    return successResponse({
      code: 0,
      msg: 'success',
      resource_pack_subscribe_infos: name === null || name === SIMULATED_PACK_NAME ? [pack] : [],
    });
  };
}
