/** `GET /account/costs` (REF §1.2, §6.3; NEW §7.2): the account's single simulated video pack. */
import { invalidParameter } from './errors.js';
import { successResponse, type SimResponse } from './http-response.js';
import type { RouteContext } from './route-context.js';

export const SIMULATED_PACK_NAME = 'Simulator-Video-Units';
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

function requiredTime(raw: string | null, name: string): number {
  if (raw === null || !/^\d+$/.test(raw)) throw invalidParameter(`${name} is required and must be a Unix time in ms`);
  return Number(raw);
}

/** NEW §7.2: `start_time` and `end_time` are both required ints; `resource_pack_name` optionally filters. */
export function accountCosts(startedAt: number) {
  return (context: RouteContext): SimResponse => {
    const query = context.url.searchParams;
    const start = requiredTime(query.get('start_time'), 'start_time');
    const end = requiredTime(query.get('end_time'), 'end_time');
    if (start > end) throw invalidParameter('start_time must not be later than end_time');
    const name = query.get('resource_pack_name');
    const { balance } = context.core;
    const pack = {
      resource_pack_name: SIMULATED_PACK_NAME,
      resource_pack_id: 'sim-video-pack',
      resource_pack_type: 'decreasing_total',
      total_quantity: balance.totalUnits,
      remaining_quantity: balance.remainingUnits,
      purchase_time: startedAt,
      effective_time: startedAt,
      invalid_time: startedAt + YEAR_MS,
      status: balance.remainingUnits > 0 ? 'online' : 'runOut',
    };
    return successResponse({
      code: 0,
      msg: 'success',
      resource_pack_subscribe_infos: name === null || name === SIMULATED_PACK_NAME ? [pack] : [],
    });
  };
}
