/**
 * `POST /account/billing/package` (NEW §7.2): the unit ledger, one `detail` per deduction from a resource pack.
 * Body: `start_time`/`end_time` (ms; required when `cursor` is empty), `limit` (default and max 500), `cursor`
 * (overrides everything else), `filters[]{key, values[]}` on `api_key_name`, `product_type`, `package_name`,
 * `package_id` (the last two mutually exclusive; the same key ORed, different keys ANDed).
 */
import { z } from 'zod';
import { SIMULATED_PACK_ID, SIMULATED_PACK_NAME } from './account-routes.js';
import type { DeductionRecord } from './deductions.js';
import { invalidParameter } from './errors.js';
import { successResponse, type SimResponse } from './http-response.js';
import type { RouteContext } from './route-context.js';
import type { TaskSpec } from './task-spec.js';
import { dropNulls, objectSchema, parseJsonObject, zodErrorToKlingError } from './validation-errors.js';

const MAX_LIMIT = 500;
const FILTER_KEYS = ['api_key_name', 'product_type', 'package_name', 'package_id'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
// NEW §7.2 spells the ledger's try-on `try-on` (the `/tasks` filter says `try_on`, §9 item 13).
const PRODUCT_TYPES = ['video', 'image', 'try-on'] as const;

// NEW §7.2 says long ms; like `POST /tasks` (NEW §9 item 8), a numeric string is accepted too.
const timeValue = z.union([z.number().int().min(0), z.string().regex(/^\d+$/).transform(Number)], { error: 'must be a Unix time in ms' });

function bodySchema(rejectUnknown: boolean) {
  return objectSchema(
    {
      start_time: timeValue.optional(),
      end_time: timeValue.optional(),
      cursor: z.string({ error: 'must be a string' }).optional(),
      limit: z
        .number({ error: `must be an integer in [1, ${MAX_LIMIT}]` })
        .int({ error: `must be an integer in [1, ${MAX_LIMIT}]` })
        .min(1, { error: `must be an integer in [1, ${MAX_LIMIT}]` })
        .max(MAX_LIMIT, { error: `must be an integer in [1, ${MAX_LIMIT}]` })
        .optional(),
      filters: z
        .array(
          objectSchema(
            {
              key: z.enum(FILTER_KEYS, { error: `must be one of ${FILTER_KEYS.join(', ')}` }),
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
const SCHEMAS = { strict: bodySchema(true), lenient: bodySchema(false) };

/** The cursor freezes the window, filters and limit; `after` is `[deduction_time, seq]` of the previous page's last record. */
const CursorSchema = z.object({
  start: z.number(),
  end: z.number(),
  limit: z.number().int(),
  filters: z.record(z.string(), z.array(z.string())),
  after: z.tuple([z.number(), z.number()]),
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

/** Same key ORed: the values of every entry with that key are merged. */
function mergeFilters(filters: readonly { key: FilterKey; values: string[] }[]): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const filter of filters) {
    if (filter.key === 'product_type') {
      const bad = filter.values.find((value) => !(PRODUCT_TYPES as readonly string[]).includes(value));
      if (bad !== undefined) throw invalidParameter(`filters.values of product_type must be one of ${PRODUCT_TYPES.join(', ')}, got '${bad}'`);
    }
    merged[filter.key] = [...(merged[filter.key] ?? []), ...filter.values];
  }
  if (merged.package_name !== undefined && merged.package_id !== undefined) {
    throw invalidParameter('filters package_name and package_id cannot be used together');
  }
  return merged;
}

/** Different keys ANDed. Every simulated deduction is from the one video pack. */
function matches(record: DeductionRecord, filters: Record<string, string[]>): boolean {
  const fields: Record<FilterKey, string> = {
    api_key_name: record.apiKeyName,
    product_type: 'video',
    package_name: SIMULATED_PACK_NAME,
    package_id: SIMULATED_PACK_ID,
  };
  return Object.entries(filters).every(([key, values]) => values.includes(fields[key as FilterKey]));
}

// Only "Image to Video" appears in NEW §7.2's example; the others are inferred from Kling's product names.
const PRODUCT_FUNCTION: Record<TaskSpec['product'], string> = {
  'text-to-video': 'Text to Video',
  'image-to-video': 'Image to Video',
  'omni-video': 'Omni Video',
  'motion-control': 'Motion Control',
};

/** NEW §7.2 `detail` of the package ledger; the unit numbers are numbers, `duration` and `deduction_time` strings. */
function detailOf(record: DeductionRecord): Record<string, unknown> {
  const { spec } = record.task;
  return {
    task_id: record.taskId,
    api_key_name: record.apiKeyName,
    // "Omni Video" is inferred: the ledger's only documented example is "Image to Video" (NEW §7.2).
    product_function: PRODUCT_FUNCTION[spec.product],
    model_name: spec.model,
    resolution: spec.resolution,
    // The output's duration once there is one (e.g. "5.041"), else the requested seconds.
    duration: record.task.videos[0]?.duration ?? String(spec.durationSeconds),
    refer_video_input: spec.videoInput === true,
    video_sound: spec.audioMode ?? (spec.audio ? 'native' : 'off'),
    voice_control: spec.voiceControl,
    deduction_time: String(record.deductionTime),
    package_id: SIMULATED_PACK_ID,
    product_type: 'video',
    unit_before_deduction: record.unitBeforeDeduction,
    deduction_amount: record.deductionAmount,
    unit_after_deduction: record.unitAfterDeduction,
  };
}

const newestFirst = (a: DeductionRecord, b: DeductionRecord): number => b.deductionTime - a.deductionTime || b.seq - a.seq;

/**
 * The package ledger, newest deduction first (order undocumented). `count` is the number of details on this page;
 * `next_cursor` is present only when `has_more`.
 */
export function billingPackage(context: RouteContext): SimResponse {
  const body = context.rawBody.length === 0 ? {} : dropNulls(parseJsonObject(context.rawBody));
  const parsed = (context.core.options.rejectUnknownFields ? SCHEMAS.strict : SCHEMAS.lenient).safeParse(body);
  if (!parsed.success) throw zodErrorToKlingError(parsed.error);
  const request = parsed.data;
  let cursor: Cursor;
  if (request.cursor !== undefined && request.cursor !== '') {
    cursor = decodeCursor(request.cursor);
  } else {
    if (request.start_time === undefined) throw invalidParameter('start_time is required when cursor is empty');
    if (request.end_time === undefined) throw invalidParameter('end_time is required when cursor is empty');
    if (request.start_time >= request.end_time) throw invalidParameter('start_time must be earlier than end_time');
    cursor = {
      start: request.start_time,
      end: request.end_time,
      limit: request.limit ?? MAX_LIMIT,
      filters: mergeFilters(request.filters ?? []),
      after: [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
    };
  }
  const [afterTime, afterSeq] = cursor.after;
  const remaining = context.core.deductions
    .all()
    .filter((record) => record.deductionTime >= cursor.start && record.deductionTime <= cursor.end && matches(record, cursor.filters))
    .sort(newestFirst)
    .filter((record) => record.deductionTime < afterTime || (record.deductionTime === afterTime && record.seq < afterSeq));
  const page = remaining.slice(0, cursor.limit);
  const last = page[page.length - 1];
  const hasMore = last !== undefined && remaining.length > page.length;
  return successResponse({
    result: { detail: page.map(detailOf), count: page.length },
    ...(hasMore ? { next_cursor: encodeCursor({ ...cursor, after: [last.deductionTime, last.seq] }) } : {}),
    has_more: hasMore,
  });
}
