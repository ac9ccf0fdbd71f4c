import { z } from 'zod';
import { invalidParameter, invalidRequest, type KlingApiError } from './errors.js';

/** `['dynamic_masks', 0, 'trajectories']` → `dynamic_masks[0].trajectories`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/**
 * Turns the first zod issue into a 400/1201 whose message names the field and the rule
 * (REF §5: 1201 "Invalid parameter (bad key or illegal value) — read `message`"). Unknown keys are reported first.
 */
export function zodErrorToKlingError(error: z.ZodError): KlingApiError {
  const issues = [...error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  const issue = issues[0];
  if (issue === undefined) return invalidParameter('Invalid parameter');
  const field = formatFieldPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((key) => (field === '' ? key : `${field}.${key}`));
    return invalidParameter(`Unknown parameter${names.length > 1 ? 's' : ''}: ${names.map((n) => `'${n}'`).join(', ')} (not part of this API)`);
  }
  return invalidParameter(field === '' ? issue.message : `${field} ${issue.message}`);
}

/** REF §5 1200 "Invalid request parameters": the body is not a JSON object. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) throw invalidRequest('Invalid request parameters: the request body must be a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidRequest('Invalid request parameters: the request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidRequest('Invalid request parameters: the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** JSON `null` is treated as "not sent" (Python clients serialise `None` as null). */
export function dropNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}

/** `z.object` that rejects or strips unknown keys depending on the `rejectUnknownFields` option. */
export function objectSchema<T extends z.ZodRawShape>(shape: T, rejectUnknown: boolean) {
  const schema = z.object(shape, { error: 'must be an object' });
  return rejectUnknown ? schema.strict() : schema;
}

/** An absolute http(s) URL (callback URLs). */
export const httpUrlSchema = z
  .string({ error: 'must be a string URL' })
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), { error: 'must be an absolute http(s) URL' });
