import { z } from 'zod';
import { ApiStandard, VideoKind } from './catalog.js';

/**
 * A create as the client sends it: the standard and kind the request was resolved to, the path and the JSON body.
 * Built once from a resolved request (KlingClient.wireRequest / wireOf); it holds no credentials (they travel in
 * headers), so it may be stored (a workflow's plan) and sent later as is (KlingClient.createResolvedTask), without
 * resolving the request again. The path must be one on Kling's host (`/…`, never `//host/…`).
 */
export const WireRequest = z.object({
  standard: ApiStandard,
  kind: VideoKind,
  path: z.string().regex(/^\/[A-Za-z0-9][A-Za-z0-9/_.~%-]*$/, 'a path on the configured Kling host'),
  body: z.record(z.string(), z.unknown()),
});
export type WireRequest = z.infer<typeof WireRequest>;

/** The two fields of a create that are decided per submission, not per request. */
export interface CreateFields {
  /** Kling's `external_task_id`: the workflow derives one per submission. */
  externalTaskId?: string;
  /** Kling's `callback_url`, set only when the request has none (the caller's own wins). */
  callbackUrl?: string;
}

/**
 * The create with its per-submission fields: the legacy standard takes them at the top of the body, the new one
 * under `options` (docs/reference/kling-api.md §3, docs/reference/kling-api-new-standard.md §3.1). The request's own
 * `callback_url` is kept; the external id replaces any.
 */
export function withCreateFields(wire: WireRequest, fields: CreateFields): WireRequest {
  const set = (target: Record<string, unknown>): Record<string, unknown> => ({
    ...target,
    ...(fields.callbackUrl !== undefined && target.callback_url === undefined ? { callback_url: fields.callbackUrl } : {}),
    ...(fields.externalTaskId !== undefined ? { external_task_id: fields.externalTaskId } : {}),
  });
  if (wire.standard === 'legacy') return { ...wire, body: set(wire.body) };
  const options = (wire.body.options ?? {}) as Record<string, unknown>;
  const next = set(options);
  return Object.values(next).some((v) => v !== undefined) ? { ...wire, body: { ...wire.body, options: next } } : wire;
}
