/** New-standard routes (NEW §3): create per model path, `GET /tasks` batch lookup, `POST /tasks` cursor list. */
import { z } from 'zod';
import { newModel } from './capabilities.js';
import { invalidParameter, KlingApiError } from './errors.js';
import { successResponse, type SimResponse } from './http-response.js';
import { newCreateData, newTaskObject } from './new-presenter.js';
import { validateNewCreate } from './new-validation.js';
import { motionModel, validateMotionCreate } from './motion-validation.js';
import { omniModel, validateOmniCreate } from './omni-validation.js';
import type { RouteContext } from './route-context.js';
import type { FrameProduct, NewValidationSettings } from './new-validation.js';
import type { TaskSpec } from './task-spec.js';
import type { SimTask } from './tasks.js';
import { dropNulls, objectSchema, parseJsonObject, zodErrorToKlingError } from './validation-errors.js';

const MAX_BATCH_IDS = 20; // NEW §3.6: observed cap (20 → 200, 21 → 400/1201)
const DAY_MS = 24 * 60 * 60 * 1000;

function asProduct(value: string | undefined): FrameProduct {
  if (value === 'text-to-video' || value === 'image-to-video') return value;
  throw new Error(`not a simulated product: ${String(value)}`);
}

/** `POST /{product}/{model}` — NEW §3.1/§3.2; an unknown model id answers ERR's "resource does not exist" (404/1203). */
export function newCreate(context: RouteContext): SimResponse {
  const product = asProduct(context.params.product);
  return createTask(
    context,
    product,
    (id) => {
      const caps = newModel(id);
      return caps?.products.includes(product) ? caps : undefined;
    },
    (id, caps, body, settings) => validateNewCreate(product, id, caps, body, settings),
  );
}

/** `POST /omni-video/{model}` — NEW §3.3 (kling-3.0-omni, kling-o1); an unknown model as for the other products. */
export function omniCreate(context: RouteContext): SimResponse {
  return createTask(context, 'omni-video', omniModel, validateOmniCreate);
}

/** `POST /motion-control/{model}` — NEW §3.3 (kling-3.0, kling-2.6). */
export function motionCreate(context: RouteContext): SimResponse {
  return createTask(context, 'motion-control', motionModel, validateMotionCreate);
}

/**
 * Every product's create: the model must serve the product (else 404/1203 or 400/1201, per the switch), the body is
 * validated from the references with the simulator's settings, and the task starts its lifecycle.
 */
function createTask<C>(
  context: RouteContext,
  product: string,
  lookUp: (modelId: string) => C | undefined,
  validate: (modelId: string, caps: C, body: Record<string, unknown>, settings: NewValidationSettings) => TaskSpec,
): SimResponse {
  const modelId = context.params.model ?? '';
  const caps = lookUp(modelId);
  if (caps === undefined) {
    const message = `Model '${modelId}' does not exist for ${product}`;
    throw context.core.options.unknownNewModel === '404/1203' ? new KlingApiError(404, 1203, message) : invalidParameter(message);
  }
  const { options } = context.core;
  const spec = validate(modelId, caps, parseJsonObject(context.rawBody), {
    strictCapabilities: options.strictCapabilities,
    rejectUnknownFields: options.rejectUnknownFields,
    acceptStringDuration: options.newStringDuration === 'accept',
    acceptDataUriImages: options.newDataUriImages === 'accept',
  });
  const task = context.core.createTask(spec, context.caller);
  context.log.createdTaskId = task.id;
  return successResponse(newCreateData(task));
}

const presentation = (context: RouteContext) => ({ billing: context.core.options.newTaskBilling === 'report' });

function splitIds(raw: string): string[] {
  return raw
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
}

/**
 * `GET /tasks?task_ids=a,b` or `?external_task_ids=a,b` — NEW §3.6: not both; at most 20 ids; unknown ids are
 * simply absent (200, `data: []`); legacy-created tasks appear too, in the new shape.
 */
export function getTasks(context: RouteContext): SimResponse {
  const query = context.url.searchParams;
  const taskIds = query.get('task_ids');
  const externalIds = query.get('external_task_ids');
  if (taskIds !== null && externalIds !== null) {
    throw invalidParameter('task_ids and external_task_ids cannot be used simultaneously');
  }
  if (taskIds === null && externalIds === null) throw invalidParameter('task_ids or external_task_ids is required');
  const ids = splitIds(taskIds ?? externalIds ?? '');
  if (ids.length > MAX_BATCH_IDS) throw invalidParameter('task_ids and external_task_ids cannot exceed 20 in total');
  const { store } = context.core;
  const found = new Map<string, SimTask>();
  for (const id of ids) {
    const task = taskIds !== null ? store.get(id) : store.getByExternalId(id);
    if (task !== undefined) found.set(task.id, task);
  }
  return successResponse([...found.values()].map((task) => newTaskObject(task, (token) => context.core.mediaUrl(token), presentation(context))));
}

const timeValue = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)], {
  error: 'must be a Unix time in ms (number or numeric string)',
});

function listBodySchema(rejectUnknown: boolean) {
  return objectSchema(
    {
      start_time: timeValue.optional(),
      end_time: timeValue.optional(),
      cursor: z.string({ error: 'must be a string' }).optional(),
      limit: z
        .number({ error: 'must be an integer in [1, 500]' })
        .int({ error: 'must be an integer in [1, 500]' })
        .min(1, { error: 'must be an integer in [1, 500]' })
        .max(500, { error: 'must be an integer in [1, 500]' })
        .optional(),
      filters: z
        .array(
          objectSchema(
            {
              key: z.enum(['status', 'product_type'], { error: 'must be "status" or "product_type"' }),
              values: z.array(z.string({ error: 'must be strings' }), { error: 'must be an array of strings' }),
            },
            rejectUnknown,
          ),
          { error: 'must be an array' },
        )
        .optional(),
    },
    rejectUnknown,
  );
}
const LIST_SCHEMAS = { strict: listBodySchema(true), lenient: listBodySchema(false) };
type ListFilters = NonNullable<z.infer<typeof LIST_SCHEMAS.strict>['filters']>;

/** The cursor freezes the window and filters; `after` is the last task of the previous page. */
const CursorSchema = z.object({
  start: z.number(),
  end: z.number(),
  filters: z.array(z.object({ key: z.enum(['status', 'product_type']), values: z.array(z.string()) })),
  after: z.tuple([z.number(), z.string()]),
});
type Cursor = z.infer<typeof CursorSchema>;

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(raw: string): Cursor {
  try {
    return CursorSchema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch {
    throw invalidParameter('cursor is invalid: use the next_cursor returned by the previous query');
  }
}

/** Newest first (NEW §3.7: order undocumented). */
const newestFirst = (a: SimTask, b: SimTask): number => b.createdAt - a.createdAt || b.id.localeCompare(a.id);

function matchesFilters(task: SimTask, filters: ListFilters): boolean {
  return filters.every(
    (filter) => (filter.key === 'status' ? filter.values.includes(task.status) : filter.values.includes('video')), // every simulated task is a video
  );
}

/**
 * `POST /tasks` — NEW §3.7 cursor list: window default [end − 30 days, now]; a cursor overrides the window;
 * `limit` default 100, max 500. An empty window answers `{count: 0, has_more: false}` with no `result` and no
 * `next_cursor` (observed); `count` is the number of tasks on this page.
 */
export function listTasks(context: RouteContext): SimResponse {
  const body = context.rawBody.length === 0 ? {} : dropNulls(parseJsonObject(context.rawBody));
  const parsed = (context.core.options.rejectUnknownFields ? LIST_SCHEMAS.strict : LIST_SCHEMAS.lenient).safeParse(body);
  if (!parsed.success) throw zodErrorToKlingError(parsed.error);
  const request = parsed.data;
  const limit = request.limit ?? 100;
  let cursor: Cursor;
  if (request.cursor !== undefined && request.cursor !== '') {
    cursor = decodeCursor(request.cursor);
  } else {
    const end = request.end_time ?? context.core.now();
    const start = request.start_time ?? end - 30 * DAY_MS;
    if (start >= end) throw invalidParameter('start_time must be earlier than end_time');
    cursor = { start, end, filters: request.filters ?? [], after: [Number.POSITIVE_INFINITY, ''] };
  }
  const after = cursor.after;
  const inWindow = context.core.store
    .all()
    .filter((task) => task.createdAt >= cursor.start && task.createdAt <= cursor.end && matchesFilters(task, cursor.filters))
    .sort(newestFirst)
    .filter((task) => task.createdAt < after[0] || (task.createdAt === after[0] && task.id.localeCompare(after[1]) < 0));
  const page = inWindow.slice(0, limit);
  const last = page[page.length - 1];
  if (last === undefined) return successResponse({ count: 0, has_more: false });
  const hasMore = inWindow.length > page.length;
  return successResponse({
    result: page.map((task) => newTaskObject(task, (token) => context.core.mediaUrl(token), presentation(context))),
    count: page.length,
    ...(hasMore ? { next_cursor: encodeCursor({ ...cursor, after: [last.createdAt, last.id] }) } : {}),
    has_more: hasMore,
  });
}
