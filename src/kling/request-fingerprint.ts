import { createHash } from 'node:crypto';

/**
 * The sha256 (hex) of a request's canonical JSON: object keys sorted at every depth, `undefined` members left
 * out. Two requests that Kling would receive alike (same fields, any key order) share a fingerprint; any
 * difference in a value changes it. Fingerprint the parsed request (defaults applied), not the raw input, so
 * `{ duration: 5 }` and a request that relied on the default 5 compare equal.
 */
export function requestFingerprint(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** JSON with sorted keys; the one spelling of a value that the fingerprint hashes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
