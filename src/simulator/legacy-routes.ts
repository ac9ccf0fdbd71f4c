/** Legacy standard routes (REF §1.2): create, query one, query by external id, list. */
import { invalidParameter, KlingApiError } from './errors.js';
import { successResponse, type SimResponse } from './http-response.js';
import { legacyCreateData, legacyTaskData } from './legacy-presenter.js';
import { validateLegacyMotionCreate, validateLegacyOmniCreate } from './legacy-product-validation.js';
import { validateLegacyCreate } from './legacy-validation.js';
import type { RouteContext } from './route-context.js';
import { familyOfProduct, type LegacyFamily } from './task-spec.js';
import type { SimTask } from './tasks.js';
import { parseJsonObject } from './validation-errors.js';

export function asLegacyFamily(value: string | undefined): LegacyFamily {
  if (value === 'text2video' || value === 'image2video' || value === 'omni-video' || value === 'motion-control') return value;
  throw new Error(`not a simulated legacy family: ${String(value)}`);
}

/**
 * `POST /v1/videos/{family}` — REF §3.1/§3.2 validation (omni-video and motion-control: legacy-product-validation.ts,
 * the new validators' limits through a mapping), then REF §4.2 create data.
 */
export function legacyCreate(context: RouteContext): SimResponse {
  const family = asLegacyFamily(context.params.family);
  const body = parseJsonObject(context.rawBody);
  const { options } = context.core;
  const settings = {
    strictCapabilities: options.strictCapabilities,
    rejectUnknownFields: options.rejectUnknownFields,
    acceptStringDuration: false,
    acceptDataUriImages: false,
  };
  const spec =
    family === 'omni-video'
      ? validateLegacyOmniCreate(body, settings)
      : family === 'motion-control'
        ? validateLegacyMotionCreate(body, settings)
        : validateLegacyCreate(family, body, options);
  const task = context.core.createTask(spec, context.caller);
  context.log.createdTaskId = task.id;
  return successResponse(legacyCreateData(task));
}

/**
 * REF §1.3: tasks are scoped to the family (and, here, the standard) they were created in; inside a path
 * lookup `task_id` is matched first, then `external_task_id`.
 */
function findLegacyTask(context: RouteContext, family: LegacyFamily, id: string, allowExternalId: boolean): SimTask | undefined {
  const inScope = (task: SimTask | undefined) =>
    task !== undefined && task.spec.standard === 'legacy' && familyOfProduct[task.spec.product] === family ? task : undefined;
  return inScope(context.core.store.get(id)) ?? (allowExternalId ? inScope(context.core.store.getByExternalId(id)) : undefined);
}

/** NEW §3.8 observed 400/1201 "Task not found by id/external id: <value>"; REF §5 guessed 404/1203 (configurable). */
function taskNotFound(context: RouteContext, value: string): KlingApiError {
  const message = `Task not found by id/external id: ${value}`;
  return context.core.options.legacyTaskNotFound === '404/1203' ? new KlingApiError(404, 1203, message) : invalidParameter(message);
}

/** `GET /v1/videos/{family}/{id}` — REF §4.3. */
export function legacyQueryOne(context: RouteContext): SimResponse {
  const family = asLegacyFamily(context.params.family);
  const id = context.params.id ?? '';
  const task = findLegacyTask(context, family, id, context.core.options.externalIdLookup !== 'query');
  if (task === undefined) throw taskNotFound(context, id);
  return successResponse(legacyTaskData(task, (token) => context.core.mediaUrl(token)));
}

/**
 * `GET /v1/videos/{family}` — `?external_task_id=` (REF §1.3, some clients) answers one task; otherwise the
 * list (REF §4.4: data is an array; pageNum [1, 1000] default 1, pageSize [1, 500] default 30; newest first).
 */
export function legacyListOrLookup(context: RouteContext): SimResponse {
  const family = asLegacyFamily(context.params.family);
  const query = context.url.searchParams;
  const externalId = query.get('external_task_id');
  if (externalId !== null && context.core.options.externalIdLookup !== 'path') {
    const task = context.core.store.getByExternalId(externalId);
    const scoped = task !== undefined && task.spec.standard === 'legacy' && familyOfProduct[task.spec.product] === family ? task : undefined;
    if (scoped === undefined) throw taskNotFound(context, externalId);
    return successResponse(legacyTaskData(scoped, (token) => context.core.mediaUrl(token)));
  }
  const pageNum = pageParameter(query.get('pageNum'), 'pageNum', 1, 1000, 1);
  const pageSize = pageParameter(query.get('pageSize'), 'pageSize', 1, 500, 30);
  const tasks = context.core.store
    .all()
    .filter((task) => task.spec.standard === 'legacy' && familyOfProduct[task.spec.product] === family)
    .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
  const page = tasks.slice((pageNum - 1) * pageSize, pageNum * pageSize);
  return successResponse(page.map((task) => legacyTaskData(task, (token) => context.core.mediaUrl(token))));
}

function pageParameter(raw: string | null, name: string, min: number, max: number, fallback: number): number {
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw invalidParameter(`${name} must be an integer in [${min}, ${max}]`);
  return value;
}
