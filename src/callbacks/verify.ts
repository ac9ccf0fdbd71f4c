/**
 * Standard Webhooks verification of Kling callbacks (docs/reference/kling-api-new-standard.md §4): `webhook-id`,
 * `webhook-timestamp` (Unix seconds, ±5 minutes) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` over
 * `id.timestamp.rawBody`, several space-separated entries during a secret rotation). The checking itself is the
 * `standardwebhooks` package's (the library Kling's docs recommend), so the receiver does not carry its own HMAC.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** Why a callback was refused: headers absent, timestamp outside the tolerance (a replay or a skewed clock), or no signature matched. */
export type VerificationFailure = 'missing-headers' | 'timestamp' | 'signature';

export type VerificationResult = { ok: true } | { ok: false; reason: VerificationFailure; message: string };

/** The library's tolerance, which is also Kling's (the documented sample uses `tolerance = 5 * 60`). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/**
 * Checks one secret's form (`whsec_<base64>`, as Kling's console shows it) without echoing it.
 * Throws an Error naming `field` when it is malformed.
 */
export function assertWebhookSecret(secret: string, field: string): void {
  if (!SECRET.test(secret) || Buffer.from(secret.slice('whsec_'.length), 'base64').length === 0)
    throw new Error(`${field}: must be a Kling webhook secret of the form whsec_<base64>`);
}

const HEADER_NAMES = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/** The three Standard Webhooks headers as single strings (Node lower-cases names already; repeated headers are refused). */
export function webhookHeaders(headers: IncomingHttpHeaders): Record<(typeof HEADER_NAMES)[number], string> | undefined {
  const out: Partial<Record<(typeof HEADER_NAMES)[number], string>> = {};
  for (const name of HEADER_NAMES) {
    const value = headers[name];
    if (typeof value !== 'string' || value === '') return undefined;
    out[name] = value;
  }
  return out as Record<(typeof HEADER_NAMES)[number], string>;
}

/**
 * A verifier for a set of secrets: several during a rotation (Kling keeps the old secret valid for 7 days and
 * signs with both). A callback passes when any `v1` entry of its signature header matches any secret.
 */
export function createWebhookVerifier(secrets: readonly string[]): (rawBody: Buffer, headers: IncomingHttpHeaders) => VerificationResult {
  if (secrets.length === 0) throw new Error('createWebhookVerifier: at least one secret');
  secrets.forEach((s, i) => assertWebhookSecret(s, `secret ${i + 1}`));
  const webhooks = secrets.map((s) => new Webhook(s));
  return (rawBody, headers) => {
    const values = webhookHeaders(headers);
    if (!values) return { ok: false, reason: 'missing-headers', message: `missing ${HEADER_NAMES.join(', ')} headers` };
    let last: VerificationResult = { ok: false, reason: 'signature', message: 'no matching signature' };
    for (const webhook of webhooks) {
      try {
        // jsonParse off: the body is parsed once, by the receiver, after verification.
        webhook.verify(rawBody, values, { jsonParse: false });
        return { ok: true };
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) throw err;
        // Timestamp problems are the same for every secret: report them as such.
        if (/timestamp|Invalid Signature Headers/i.test(err.message)) return { ok: false, reason: 'timestamp', message: err.message };
        last = { ok: false, reason: 'signature', message: err.message };
      }
    }
    return last;
  };
}
