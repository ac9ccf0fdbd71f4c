import { describe, expect, it } from 'vitest';
import { KLING_ERROR_CODES, KlingApiError } from '../../src/kling/index.js';

// Expected verdicts written out independently of the client's table (docs/reference/kling-api.md §5): a typo in the
// table must fail here, not be copied into the expectation.
const DOCUMENTED: Array<[http: number, code: number, retryable: boolean]> = [
  [401, 1000, false],
  [401, 1001, false],
  [401, 1002, false],
  [401, 1003, true],
  [401, 1004, true],
  [429, 1100, false],
  [429, 1101, false],
  [429, 1102, false],
  [403, 1103, false],
  [400, 1200, false],
  [400, 1201, false],
  [404, 1202, false],
  [404, 1203, false],
  [400, 1300, false],
  [400, 1301, false],
  [429, 1302, true],
  [429, 1303, true],
  [429, 1304, false],
  [500, 5000, true],
  [503, 5001, true],
  [504, 5002, true],
];

describe('Kling error classification', () => {
  it.each(DOCUMENTED)('HTTP %i code %i → retryable %s', (http, code, retryable) => {
    const err = new KlingApiError(http, code, 'message', 'req-1');
    expect(err.retryable).toBe(retryable);
    expect(err.httpStatus).toBe(http);
    expect(err.code).toBe(code);
    expect(err.requestId).toBe('req-1');
    expect(err.message).toContain(String(code));
  });

  it('covers every documented code and nothing else', () => {
    expect(Object.keys(KLING_ERROR_CODES).map(Number).sort()).toEqual(DOCUMENTED.map(([, c]) => c).sort());
    for (const [http, code] of DOCUMENTED) expect(KLING_ERROR_CODES[code]?.httpStatus).toBe(http);
  });

  it('decides HTTP 429 on the business code, not the status', () => {
    expect(new KlingApiError(429, 1303, 'parallel task over resource pack limit', undefined).retryable).toBe(true);
    expect(new KlingApiError(429, 1102, 'Account balance not enough', undefined).retryable).toBe(false);
  });

  it.each([
    [502, true],
    [525, true],
    [429, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
  ])('an unknown code falls back to the HTTP family: %i → %s', (http, retryable) => {
    expect(new KlingApiError(http, undefined, 'gateway', undefined).retryable).toBe(retryable);
    expect(new KlingApiError(http, 9999, 'new code', undefined).retryable).toBe(retryable);
  });
});
