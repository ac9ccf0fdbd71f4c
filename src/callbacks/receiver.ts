/**
 * The HTTP endpoint Kling's callbacks reach (see docs/callbacks.md). Every POST, whatever its path (a reverse
 * proxy may rewrite it), is verified (when secrets are configured), parsed, mapped from its external task id to
 * the workflow that submitted it and turned into one `klingTaskUpdated` signal. `GET /healthz` answers 200.
 *
 * Answers: 200 for everything handled, harmless or not (duplicates, out-of-order, unknown tasks and workflows);
 * 401 bad or missing signature; 415 not sent as JSON; 400 not a task object; 413 too large; 503 Temporal
 * unreachable (a retrying sender tries again, and the workflow's fallback poll covers a sender that does not).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { workflowIdFromExternalTaskId } from '../contract/constants.js';
import { CallbackCounters, type CallbackCountersSnapshot, type CallbackOutcome } from './counters.js';
import { CallbackDeduper } from './dedupe.js';
import { MalformedCallbackError, parseCallbackBody } from './parse.js';
import type { WorkflowSignaller } from './signal.js';
import { createWebhookVerifier } from './verify.js';

/** Kling's bodies are small task objects; anything this big is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

/** What the receiver logs through (Temporal's Logger fits). Secrets and bodies are never logged. */
export interface CallbackLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export interface CallbackReceiverOptions {
  /** Delivers the wake-up (see `temporalSignaller`). */
  signal: WorkflowSignaller;
  /**
   * Kling webhook secrets (`whsec_…`). Several during a rotation: a callback signed with any of them passes.
   * Empty: unsigned callbacks are accepted, and a warning says so at start.
   */
  secrets?: readonly string[];
  /** Port (0: any free port). */
  port: number;
  /** Interface to bind. Default `0.0.0.0` (Kling must reach it, normally through a TLS-terminating proxy). */
  host?: string;
  /** Registers `kling_callbacks_total{outcome}` here (the worker's KlingMetrics registry). */
  registry?: Registry;
  logger?: CallbackLogger;
}

export interface CallbackReceiver {
  /** `http://host:port` as bound (loopback when bound to all interfaces). Not the public URL Kling is given. */
  readonly url: string;
  readonly port: number;
  /** Callbacks by outcome since start. */
  counters(): CallbackCountersSnapshot;
  close(): Promise<void>;
}

const consoleLogger: CallbackLogger = {
  info: (message, meta) => console.log(message, meta ?? ''),
  warn: (message, meta) => console.warn(message, meta ?? ''),
};

/** Starts the receiver; resolves once it listens. */
export async function startCallbackReceiver(options: CallbackReceiverOptions): Promise<CallbackReceiver> {
  const logger = options.logger ?? consoleLogger;
  const secrets = options.secrets ?? [];
  const verify = secrets.length > 0 ? createWebhookVerifier(secrets) : undefined;
  const counters = new CallbackCounters(options.registry);
  const deduper = new CallbackDeduper();
  const handle = handler({ verify, signal: options.signal, counters, deduper, logger });

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.warn('Kling callback handling failed', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const bound = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  const url = `http://${bound.includes(':') ? `[${bound}]` : bound}:${port}`;
  if (verify)
    logger.info(
      `Kling callback receiver on ${url}: verifying Standard Webhooks signatures (${secrets.length} secret${secrets.length === 1 ? '' : 's'})`,
    );
  else
    logger.warn(
      `Kling callback receiver on ${url} accepts UNSIGNED callbacks: no webhook secret is configured (KLING_WEBHOOK_SECRETS). ` +
        'Anyone who can reach it can wake workflows early (each wake-up costs a few status queries at most, never a wrong result); configure the secret from the Kling console.',
    );
  return {
    url,
    port,
    counters: () => counters.snapshot(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface HandlerDeps {
  verify: ReturnType<typeof createWebhookVerifier> | undefined;
  signal: WorkflowSignaller;
  counters: CallbackCounters;
  deduper: CallbackDeduper;
  logger: CallbackLogger;
}

function handler({ verify, signal, counters, deduper, logger }: HandlerDeps) {
  const done = (res: ServerResponse, outcome: CallbackOutcome, status: number, text: string) => {
    counters.add(outcome);
    reply(res, status, text);
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return reply(res, 200, 'ok');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return reply(res, 405, 'Kling callbacks are POSTed');
    }
    const body = await readBody(req);
    if (body === undefined) return reply(res, 413, `body exceeds ${MAX_BODY_BYTES} bytes`);

    if (verify) {
      const verdict = verify(body, req.headers);
      if (!verdict.ok) {
        logger.warn('Kling callback refused: signature verification failed', { reason: verdict.reason, webhookId: headerOf(req, 'webhook-id') });
        return done(res, 'rejected_signature', 401, `signature verification failed: ${verdict.reason}`);
      }
    }

    // After the signature, so an unauthenticated sender learns nothing but 401. Kling sends JSON; anything else
    // is not one of its callbacks (or a proxy rewrote it), and parsing it as JSON anyway would hide that.
    if (!isJsonContentType(req.headers['content-type'])) return done(res, 'unsupported_media_type', 415, 'Content-Type must be application/json');

    let callback;
    try {
      callback = parseCallbackBody(body);
    } catch (err) {
      if (!(err instanceof MalformedCallbackError)) throw err;
      return done(res, 'malformed', 400, err.message);
    }
    const workflowId = callback.externalTaskId === undefined ? undefined : workflowIdFromExternalTaskId(callback.externalTaskId);
    if (workflowId === undefined) return done(res, 'unknown_task', 200, 'not a task of this deployment; ignored');

    // Only a verified webhook id is trusted for deduplication (an unsigned sender could choose it freely).
    const webhookId = verify ? headerOf(req, 'webhook-id') : undefined;
    const verdict = deduper.check(webhookId, callback.taskId, callback.status);
    if (verdict === 'duplicate') return done(res, 'duplicate', 200, 'duplicate; ignored');
    if (verdict === 'out-of-order') return done(res, 'out_of_order', 200, 'older than a status already delivered; ignored');

    let outcome;
    try {
      outcome = await signal(workflowId, { status: callback.status, taskId: callback.taskId });
    } catch (err) {
      // Not remembered: a redelivery gets another chance.
      logger.warn('Kling callback: signalling the workflow failed', {
        workflowId,
        taskId: callback.taskId,
        error: err instanceof Error ? err.message : String(err),
      });
      return done(res, 'signal_failed', 503, 'workflow service unavailable; retry later');
    }
    deduper.remember(webhookId, callback.taskId, callback.status);
    if (outcome === 'not-found') return done(res, 'unknown_workflow', 200, 'no running workflow for this task; ignored');
    return done(res, 'signalled', 200, 'ok');
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** `application/json`, with or without parameters (`; charset=utf-8`), in any letter case. */
function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && value.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

/** The raw bytes (signatures cover them exactly); undefined when larger than MAX_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
