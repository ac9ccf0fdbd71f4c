/**
 * A Kling business error: the HTTP status plus the `code` and `message` of the error envelope.
 * REF §5 / NEW §5: error envelopes are `{code, message, request_id}` with no `data`.
 */
export class KlingApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'KlingApiError';
  }
}

// REF §5: the official error table (identical on both standards, NEW §5). Only the rows the simulator emits.
export const authorizationEmpty = (): KlingApiError => new KlingApiError(401, 1001, 'Authorization is empty');
export const authorizationInvalid = (detail?: string): KlingApiError =>
  new KlingApiError(401, 1002, detail === undefined ? 'Authorization is invalid' : `Authorization is invalid: ${detail}`);
export const authorizationNotYetValid = (): KlingApiError => new KlingApiError(401, 1003, 'Authorization is not yet valid');
export const authorizationExpired = (): KlingApiError => new KlingApiError(401, 1004, 'Authorization has expired');
// REF §5 1102, NEW §5: text observed live for an exhausted pack.
export const balanceNotEnough = (): KlingApiError => new KlingApiError(429, 1102, 'Account balance not enough');
export const invalidRequest = (message: string): KlingApiError => new KlingApiError(400, 1200, message);
export const invalidParameter = (message: string): KlingApiError => new KlingApiError(400, 1201, message);
export const invalidMethod = (method: string, path: string): KlingApiError =>
  new KlingApiError(404, 1202, `Invalid request method: ${method} is not supported on ${path}`);
export const resourceNotFound = (message: string): KlingApiError => new KlingApiError(404, 1203, message);
// REF §5 1302 "Requests too fast (rate limit)".
export const rateLimited = (message: string): KlingApiError => new KlingApiError(429, 1302, message);
// REF §5 / NEW §6: the exact body of the official Rate Limits page.
export const concurrencyExceeded = (): KlingApiError => new KlingApiError(429, 1303, 'parallel task over resource pack limit');
