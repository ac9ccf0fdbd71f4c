import { createHash } from 'node:crypto';
import { canonicalJson, requestFingerprint } from './kling/index.js';
import { COST_MEMO_KEY } from './contract/constants.js';

/** Memo key under which the client records the request a workflow id was started for (never a value: hashes only). */
export const REQUEST_MEMO_KEY = 'klingRequest';

/**
 * What a workflow id stands for: the sha256 of the request's canonical form (the one `requestFingerprint` gives,
 * equal to the worker's `klingCosts.requestSha256`) and a short hash per top-level field, so a conflict can name
 * the fields that differ without keeping any value (prompts and images stay out of the memo).
 */
export interface RequestIdentity {
  sha256: string;
  fields: Record<string, string>;
}

/** The identity of a parsed request (defaults applied: `{ duration: 5 }` and a request relying on the default 5 are one). */
export function requestIdentity(request: Record<string, unknown>): RequestIdentity {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(request)) if (value !== undefined) fields[key] = shortHash(value);
  return { sha256: requestFingerprint(request), fields };
}

/** A batch's identity: its items' identities in order (`items[i]` names a changed item) and its options. */
export function batchIdentity(items: ReadonlyArray<Record<string, unknown>>, options: unknown): RequestIdentity {
  const fields: Record<string, string> = {};
  items.forEach((item, i) => (fields[`items[${i}]`] = requestFingerprint(item).slice(0, 16)));
  if (options !== undefined) fields.options = shortHash(options);
  return { sha256: createHash('sha256').update(canonicalJson(fields)).digest('hex'), fields };
}

/** The fields whose hashes differ, present in either identity. */
export function differingFields(a: RequestIdentity, b: RequestIdentity): string[] {
  const keys = new Set([...Object.keys(a.fields), ...Object.keys(b.fields)]);
  return [...keys].filter((k) => a.fields[k] !== b.fields[k]).sort();
}

/**
 * The idempotency key (the workflow id) is already taken by a different request: nothing was started and nothing
 * submitted. Choose a new workflow id for the new request, or send the original request to join the existing run.
 */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';

  constructor(
    /** The workflow id that is taken. */
    readonly workflowId: string,
    /** Top-level request fields (or `items[i]`, `options` for a batch) that differ; empty when the existing run recorded only a hash. */
    readonly differingFields: string[],
    /** The existing run's status (`RUNNING`, `COMPLETED`, …). */
    readonly existingStatus: string,
  ) {
    super(
      `workflow id ${workflowId} is already used by a different request (${existingStatus.toLowerCase()}` +
        `${differingFields.length ? `; differing: ${differingFields.join(', ')}` : '; started without a field record, so only the request hash differs'}). ` +
        'Nothing was started or submitted: use a new workflow id for this request, or send the original request to join that run.',
    );
  }
}

/** True when `err` is an IdempotencyConflictError (also across package copies, by name). */
export function isIdempotencyConflict(err: unknown): err is IdempotencyConflictError {
  return err instanceof IdempotencyConflictError || (err instanceof Error && err.name === 'IdempotencyConflictError');
}

/**
 * What the existing run of a workflow id was started for, from its memo: the client's record, else the sha256 the
 * worker's validation recorded in the cost memo; undefined when neither exists yet (started elsewhere and not
 * validated yet: nothing to compare, the start joins it).
 */
export function recordedIdentity(memo: Record<string, unknown> | undefined): RequestIdentity | { sha256: string; fields?: undefined } | undefined {
  const own = memo?.[REQUEST_MEMO_KEY] as Partial<RequestIdentity> | undefined;
  if (typeof own?.sha256 === 'string' && own.fields && typeof own.fields === 'object') return { sha256: own.sha256, fields: own.fields };
  const costs = memo?.[COST_MEMO_KEY] as { requestSha256?: unknown } | undefined;
  return typeof costs?.requestSha256 === 'string' ? { sha256: costs.requestSha256 } : undefined;
}

/** Throws IdempotencyConflictError when the existing run's recorded request is not `wanted`. */
export function assertSameRequest(
  workflowId: string,
  existing: { memo?: Record<string, unknown>; status: { name: string } },
  wanted: RequestIdentity,
): void {
  const recorded = recordedIdentity(existing.memo);
  if (recorded === undefined || recorded.sha256 === wanted.sha256) return;
  throw new IdempotencyConflictError(workflowId, recorded.fields ? differingFields(recorded, wanted) : [], existing.status.name);
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}
