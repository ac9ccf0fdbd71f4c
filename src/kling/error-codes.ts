/**
 * Kling business codes (docs/reference/kling-api.md §5, identical on both standards per docs/reference/kling-api-new-standard.md §5),
 * with the client's retry verdict. Decide on the business code, never on the HTTP status alone:
 * HTTP 429 carries both retryable (1302, 1303) and permanent (1100–1102, 1304) conditions.
 */
export type KlingErrorCategory =
  | 'auth'
  | 'auth-clock'
  | 'account'
  | 'permission'
  | 'invalid-request'
  | 'not-found'
  | 'content-policy'
  | 'rate-limit'
  | 'concurrency-limit'
  | 'server';

export interface KlingCodeInfo {
  httpStatus: number;
  category: KlingErrorCategory;
  retryable: boolean;
  meaning: string;
}

export const KLING_ERROR_CODES: Readonly<Record<number, KlingCodeInfo>> = {
  1000: { httpStatus: 401, category: 'auth', retryable: false, meaning: 'Authentication failed' },
  1001: { httpStatus: 401, category: 'auth', retryable: false, meaning: 'Authorization is empty' },
  1002: { httpStatus: 401, category: 'auth', retryable: false, meaning: 'Authorization is invalid' },
  // 1003/1004 are re-signed once by the HTTP layer; if they persist, retrying later can help (clock skew).
  1003: { httpStatus: 401, category: 'auth-clock', retryable: true, meaning: 'Authorization is not yet valid' },
  1004: { httpStatus: 401, category: 'auth-clock', retryable: true, meaning: 'Authorization has expired' },
  1100: { httpStatus: 429, category: 'account', retryable: false, meaning: 'Account exception' },
  1101: { httpStatus: 429, category: 'account', retryable: false, meaning: 'Account in arrears' },
  1102: { httpStatus: 429, category: 'account', retryable: false, meaning: 'Resource pack depleted or expired' },
  1103: { httpStatus: 403, category: 'permission', retryable: false, meaning: 'No permission for the resource' },
  1200: { httpStatus: 400, category: 'invalid-request', retryable: false, meaning: 'Invalid request parameters' },
  1201: { httpStatus: 400, category: 'invalid-request', retryable: false, meaning: 'Invalid parameter' },
  1202: { httpStatus: 404, category: 'invalid-request', retryable: false, meaning: 'Invalid request method' },
  1203: { httpStatus: 404, category: 'not-found', retryable: false, meaning: 'Requested resource does not exist' },
  1300: { httpStatus: 400, category: 'content-policy', retryable: false, meaning: 'Platform policy triggered' },
  1301: { httpStatus: 400, category: 'content-policy', retryable: false, meaning: 'Content security policy triggered' },
  1302: { httpStatus: 429, category: 'rate-limit', retryable: true, meaning: 'Requests too fast' },
  1303: { httpStatus: 429, category: 'concurrency-limit', retryable: true, meaning: 'Concurrency over resource pack limit' },
  1304: { httpStatus: 429, category: 'account', retryable: false, meaning: 'IP whitelist policy triggered' },
  5000: { httpStatus: 500, category: 'server', retryable: true, meaning: 'Server internal error' },
  5001: { httpStatus: 503, category: 'server', retryable: true, meaning: 'Server temporarily unavailable' },
  5002: { httpStatus: 504, category: 'server', retryable: true, meaning: 'Server internal timeout' },
};

/** Verdict for a code the table does not know: decided by HTTP status family (5xx and 429 retry). */
export function classifyUnknownCode(httpStatus: number): KlingCodeInfo {
  if (httpStatus >= 500) return { httpStatus, category: 'server', retryable: true, meaning: 'Server error' };
  if (httpStatus === 429) return { httpStatus, category: 'rate-limit', retryable: true, meaning: 'Too many requests' };
  if (httpStatus === 401) return { httpStatus, category: 'auth', retryable: false, meaning: 'Unauthorized' };
  if (httpStatus === 404) return { httpStatus, category: 'not-found', retryable: false, meaning: 'Not found' };
  return { httpStatus, category: 'invalid-request', retryable: false, meaning: 'Request rejected' };
}
