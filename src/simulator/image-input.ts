import { z } from 'zod';

export interface ImageInputRules {
  /** Largest decoded Base64 payload in bytes (REF §3.2: 10 MB legacy; NEW §1.3: 50 MB). */
  readonly maxBytes: number;
  /** Whether `data:image/...;base64,` prefixes are tolerated (REF §3.2: the legacy API rejects them). */
  readonly allowDataUri: boolean;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DATA_URI_PREFIX = /^data:[^,]*;base64,/i;

/**
 * Why an image field is unacceptable, or undefined when it is fine. Images are URLs or raw Base64
 * (REF §3.2: "raw Base64 with no data:image/...;base64, prefix"). URLs are not fetched: problems only
 * visible after download surface as failed tasks on the real API (REF §4.3), which `outcome` rules can model.
 */
export function imageInputProblem(value: string, rules: ImageInputRules): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (/^https?:\/\//i.test(value)) {
    return URL.canParse(value) ? undefined : 'must be a valid http(s) URL or raw Base64';
  }
  let payload = value;
  if (DATA_URI_PREFIX.test(value)) {
    if (!rules.allowDataUri) return 'must be a URL or raw Base64 without a "data:...;base64," prefix';
    payload = value.replace(DATA_URI_PREFIX, '');
  } else if (/^data:/i.test(value)) {
    return 'must be a URL or raw Base64 without a "data:" prefix';
  }
  if (!BASE64.test(payload) || payload.length % 4 === 1) return 'must be an http(s) URL or valid raw Base64';
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  const decodedBytes = Math.floor((payload.length * 3) / 4) - padding;
  if (decodedBytes > rules.maxBytes) return `must not exceed ${Math.round(rules.maxBytes / (1024 * 1024))}MB`;
  return undefined;
}

/** A zod string schema that applies `imageInputProblem`. */
export function imageInputSchema(rules: ImageInputRules) {
  return z.string({ error: 'must be a string: an image URL or raw Base64' }).superRefine((value, ctx) => {
    const problem = imageInputProblem(value, rules);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}
