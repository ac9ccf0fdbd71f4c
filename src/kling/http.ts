import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ApiStandard } from './catalog.js';
import type { KlingAuth } from './credentials.js';
import { Envelope } from './envelope.js';
import { KlingApiError, KlingNetworkError } from './errors.js';

/**
 * What a call does, as a bounded label for metrics (paths carry task ids): create a task, query tasks by id,
 * list tasks, or read the account (balance, billing ledger).
 */
export type KlingOperation = 'create' | 'query' | 'list' | 'account';

export interface HttpCall {
  operation: KlingOperation;
  method: 'GET' | 'POST';
  path: string;
  /** The path with its variable parts as placeholders (`/v1/videos/text2video/{id}`), for traces. Default: `path`. */
  route?: string;
  standard: ApiStandard;
  query?: Record<string, string | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

/** What the transport reports per call, for logs and metrics; never carries credentials. */
export interface HttpEvent {
  operation: KlingOperation;
  standard: ApiStandard;
  method: string;
  path: string;
  httpStatus?: number;
  code?: number;
  requestId?: string;
  durationMs: number;
  error?: string;
}

export interface HttpOptions {
  baseUrl: string;
  auth: KlingAuth;
  timeoutMs: number;
  dispatcher?: Dispatcher;
  onEvent?: (event: HttpEvent) => void;
}

/** Errors after which a POST may or may not have reached Kling. */
const BEFORE_SEND = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Sends one JSON request and returns the envelope's `data` parsed with `schema`. A non-zero code or non-2xx
 * status becomes KlingApiError; a 1003/1004 on a JWT-authenticated call is re-signed and retried once.
 */
export async function callKling<T extends z.ZodType>(http: HttpOptions, call: HttpCall, schema: T): Promise<z.infer<T>> {
  try {
    return await attempt(http, call, schema, false);
  } catch (err) {
    if (err instanceof KlingApiError && (err.code === 1003 || err.code === 1004) && http.auth.usesJwt(call.standard))
      return attempt(http, call, schema, true);
    throw err;
  }
}

async function attempt<T extends z.ZodType>(http: HttpOptions, call: HttpCall, schema: T, freshToken: boolean): Promise<z.infer<T>> {
  const url = new URL(call.path, http.baseUrl);
  for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const started = performance.now();
  const event: HttpEvent = { operation: call.operation, standard: call.standard, method: call.method, path: url.pathname, durationMs: 0 };
  // Before the try: credentials that cannot call this standard are a KlingCredentialsError (never retried), not
  // a network error that claims the request may have reached Kling. Nothing has been sent, so no event either.
  const authorization = await http.auth.header(call.standard, { fresh: freshToken });
  const timeout = AbortSignal.timeout(http.timeoutMs);
  const span = startHttpSpan(call, url);
  try {
    const res = await request(url, {
      method: call.method,
      headers: {
        authorization,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
      dispatcher: http.dispatcher,
      headersTimeout: http.timeoutMs,
      bodyTimeout: http.timeoutMs,
    });
    event.httpStatus = res.statusCode;
    const text = await res.body.text();
    const envelope = parseEnvelope(text);
    event.code = envelope?.code;
    event.requestId = envelope?.request_id;
    if (!envelope) {
      if (res.statusCode >= 200 && res.statusCode < 300)
        throw new KlingNetworkError(`Kling answered HTTP ${res.statusCode} with a body that is not a Kling envelope`, true);
      throw new KlingApiError(res.statusCode, undefined, text.slice(0, 200) || 'empty body', undefined);
    }
    if (envelope.code !== 0 || res.statusCode >= 300) throw new KlingApiError(res.statusCode, envelope.code, envelope.message, envelope.request_id);
    const data = schema.safeParse(envelope.data);
    if (!data.success)
      throw new KlingNetworkError(
        `Kling response for ${call.method} ${url.pathname} does not match the documented shape: ${data.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
        true,
      );
    return data.data;
  } catch (err) {
    event.error = err instanceof Error ? err.name : 'unknown';
    if (err instanceof KlingApiError || err instanceof KlingNetworkError) throw err;
    if (call.signal?.aborted) throw err;
    throw toNetworkError(err, call, timeout.aborted);
  } finally {
    event.durationMs = performance.now() - started;
    endHttpSpan(span, event);
    http.onEvent?.(event);
  }
}

/**
 * A client span per request, a child of whatever span is active (the activity's, when tracing is on). Through the
 * global OpenTelemetry API: a no-op without an SDK. Attributes name the route template, never the URL's query, a
 * header or a body, so no credential, token or signed URL can enter a trace.
 */
function startHttpSpan(call: HttpCall, url: URL): Span {
  const route = call.route ?? call.path;
  return trace.getTracer('kling-temporal').startSpan(`${call.method} ${route}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': call.method,
      'http.route': route,
      'server.address': url.hostname,
      'kling.operation': call.operation,
      'kling.standard': call.standard,
    },
  });
}

function endHttpSpan(span: Span, event: HttpEvent): void {
  if (span.isRecording()) {
    if (event.httpStatus !== undefined) span.setAttribute('http.response.status_code', event.httpStatus);
    if (event.code !== undefined) span.setAttribute('kling.code', event.code);
    if (event.requestId !== undefined) span.setAttribute('kling.request_id', event.requestId);
    // The error's class only: messages may quote Kling's answer.
    if (event.error !== undefined) {
      span.setAttribute('error.type', event.error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: event.error });
    }
  }
  span.end();
}

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const parsed = Envelope.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function toNetworkError(err: unknown, call: HttpCall, timedOut: boolean): KlingNetworkError {
  const code = (err as { code?: string }).code ?? '';
  const reached = call.method === 'POST' && !BEFORE_SEND.has(code);
  const what =
    timedOut || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError
      ? 'timed out'
      : `failed (${code || (err as Error).name || 'network error'})`;
  return new KlingNetworkError(`Kling ${call.method} ${call.path} ${what}`, reached, { cause: err });
}
