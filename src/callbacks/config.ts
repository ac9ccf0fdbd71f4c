/**
 * Callback settings from the environment, shared by the worker (which adds the URL to every create and may host
 * the receiver) and the stand-alone `kling-video callbacks` process. A bad value fails with the variable's name;
 * secrets are never echoed.
 */
import { msToNumber } from '@temporalio/common/lib/time.js';
import { z } from 'zod';
import { assertWebhookSecret } from './verify.js';

const blank = (v: unknown) => (v === '' ? undefined : v);

/** `host:port`, `[v6]:port` or just `port` (all interfaces). */
export function parseListenAddress(value: string, field = 'listen address'): { host: string; port: number } {
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`${field}: expected host:port (e.g. 0.0.0.0:8788, [::]:8788 or 8788), got "${value}"`);
  const host = m[1] === undefined ? '0.0.0.0' : m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

/** A positive duration, as Temporal reads them (`30s`, `2 minutes`) or milliseconds; parsed to ms. */
const duration = (variable: string, fallback: string) =>
  z.preprocess(
    blank,
    z
      .string()
      .default(fallback)
      .transform((v, ctx) => {
        let ms = NaN;
        try {
          ms = msToNumber(/^\d+$/.test(v) ? Number(v) : (v as never));
        } catch {
          /* reported below */
        }
        if (!(ms > 0))
          ctx.addIssue({ code: 'custom', message: `${variable}: "${v}" is not a positive duration (e.g. "30s", "2 minutes" or milliseconds)` });
        return ms;
      }),
  );

export const CallbackEnv = z.object({
  /** The public URL Kling POSTs callbacks to (your proxy in front of the receiver). Unset: no callbacks requested. */
  KLING_CALLBACK_URL: z.preprocess(blank, z.url({ protocol: /^https?$/ }).optional()),
  /** Where the receiver listens (`host:port`). In the worker: unset = no receiver in this process. */
  KLING_CALLBACK_LISTEN: z.preprocess(blank, z.string().optional()),
  /** Comma-separated `whsec_…` secrets (two during a rotation). Unset: unsigned callbacks are accepted. */
  KLING_WEBHOOK_SECRETS: z.preprocess(blank, z.string().optional()),
  /** First fallback poll when callbacks are on and the caller set no `options.poll`. */
  KLING_CALLBACK_POLL_INITIAL: duration('KLING_CALLBACK_POLL_INITIAL', '30s'),
  /** Cap of the fallback poll interval when callbacks are on and the caller set no `options.poll`. */
  KLING_CALLBACK_POLL_MAX: duration('KLING_CALLBACK_POLL_MAX', '2 minutes'),
});

export interface CallbackConfig {
  /** Public callback URL put into every create; undefined = callbacks off. */
  url?: string;
  /** Receiver address; undefined = no receiver in this process. */
  listen?: { host: string; port: number };
  /** Webhook secrets; empty = accept unsigned. */
  secrets: string[];
  /** Poll schedule (ms) used instead of the default when callbacks are on and the caller chose none. */
  fallbackPoll: { initialInterval: number; maxInterval: number };
}

/** Reads the callback variables; throws an Error naming the variable (never a secret's value). */
export function callbackConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CallbackConfig {
  const parsed = CallbackEnv.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `Invalid configuration: ${parsed.error.issues.map((i) => (i.message.startsWith('KLING_') ? i.message : `${i.path.join('.')}: ${i.message}`)).join('; ')}`,
    );
  const e = parsed.data;
  const secrets = (e.KLING_WEBHOOK_SECRETS ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  secrets.forEach((s, i) => assertWebhookSecret(s, `KLING_WEBHOOK_SECRETS entry ${i + 1}`));
  return {
    url: e.KLING_CALLBACK_URL,
    listen: e.KLING_CALLBACK_LISTEN === undefined ? undefined : parseListenAddress(e.KLING_CALLBACK_LISTEN, 'KLING_CALLBACK_LISTEN'),
    secrets,
    fallbackPoll: { initialInterval: e.KLING_CALLBACK_POLL_INITIAL, maxInterval: e.KLING_CALLBACK_POLL_MAX },
  };
}
