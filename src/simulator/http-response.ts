/** The in-memory response every handler produces; the server writes it (possibly through a fault). */
import type { KlingApiError } from './errors.js';
import { newRequestId } from './ids.js';

export interface SimResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The business `code` of a JSON envelope, for the request log; null for media. */
  readonly code: number | null;
  /** HEAD: send headers (with the GET Content-Length) but no body. */
  readonly headOnly?: boolean;
}

function json(status: number, payload: Record<string, unknown>, code: number): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(payload), 'utf8'),
    code,
  };
}

/** REF §4.1: `{code: 0, message: "SUCCEED", request_id, data}` — data is an object, or an array for lists. */
export function successResponse(data: unknown): SimResponse {
  return json(200, { code: 0, message: 'SUCCEED', request_id: newRequestId(), data }, 0);
}

/** REF §5 / NEW §3.4: error envelopes carry no `data`. */
export function errorResponse(error: Pick<KlingApiError, 'httpStatus' | 'code' | 'message'>): SimResponse {
  return json(error.httpStatus, { code: error.code, message: error.message, request_id: newRequestId() }, error.code);
}

export function plainResponse(status: number, text: string): SimResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(text, 'utf8'), code: null };
}
