/**
 * The HTTP server: reads each request, logs it, applies an injected fault if one matches, authenticates,
 * dispatches to the route and writes the response. `startSimulator` is the public entry point.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { CallbackDispatcher, type CallbackController } from './callbacks.js';
import { authenticateLegacy, authenticateNewStandard, classifyAuthorization, type AuthenticatedCaller } from './auth.js';
import { expiredMediaResponse, notVideoResponse } from './cdn-routes.js';
import { invalidMethod, invalidRequest, KlingApiError, resourceNotFound } from './errors.js';
import { ERROR_FAULTS, type Fault, type FaultController } from './faults.js';
import { errorResponse, type SimResponse } from './http-response.js';
import { resolveOptions, type AccessKeyPair, type SimulatorOptions } from './options.js';
import type { RequestLogEntry } from './request-log.js';
import { writeResponse, type BodyDelivery } from './response-writer.js';
import { buildRoutes, matchRoute, type AuthScheme, type RouteDefinition, type RouteMatch } from './router.js';
import { SimulatorCore } from './simulator-core.js';
import { viewTask, type SimTaskView } from './task-view.js';
import type { TaskStatus, TransitionListener } from './tasks.js';

/** Request bodies above this are refused: a 10 MB image as Base64 is ~13.4 MB; new-standard images may be 50 MB. */
const MAX_BODY_BYTES = 80 * 1024 * 1024;

/** One deduction from the video pack, as `sim.deductions()` shows it. */
export interface SimDeduction {
  readonly taskId: string;
  /** The task's status (a deduction is made on success, or on failure when `failedTaskDeduction` is set). */
  readonly status: TaskStatus;
  readonly apiKeyName: string;
  readonly deductionTime: number;
  readonly unitBeforeDeduction: number;
  readonly deductionAmount: number;
  readonly unitAfterDeduction: number;
}

/** A running simulator. */
export interface Simulator {
  /** Base URL for the client, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** The credentials it accepts. */
  readonly credentials: { readonly apiKeys: readonly string[]; readonly accessKeys: readonly AccessKeyPair[] };
  /** Every request so far (live array, oldest first). */
  readonly requests: readonly RequestLogEntry[];
  /** Fault injection. */
  readonly faults: FaultController;
  /** Callbacks sent to tasks' callback URLs: their faults and delivery log (docs/simulator.md, "Callbacks"). */
  readonly callbacks: CallbackController;
  /** All tasks, in creation order, with statuses brought up to the clock. */
  tasks(): SimTaskView[];
  /** One task by id, or undefined. */
  task(id: string): SimTaskView | undefined;
  /** The exact MP4 bytes the CDN serves for a task's video (deterministic per task id). */
  videoBytes(taskId: string): Buffer;
  /** Hex sha256 of `videoBytes(taskId)`. */
  videoSha256(taskId: string): string;
  /** Forces a task to succeed now. Throws if it is unknown or already finished. */
  completeTask(taskId: string): void;
  /** Forces a task to fail now with `message`. Throws if it is unknown or already finished. */
  failTask(taskId: string, message: string): void;
  /** The next created task fails with `message` (queued). */
  failNext(message: string): void;
  /** The task created with this external id fails with `message`. */
  failExternalId(externalTaskId: string, message: string): void;
  /** The prepaid video pack. */
  balance(): { readonly totalUnits: number; readonly spentUnits: number; readonly remainingUnits: number };
  /** Every deduction from the pack, oldest first (what `POST /account/billing/package` lists). */
  deductions(): readonly SimDeduction[];
  /** Subscribes to task status transitions (the hook for callbacks); returns the unsubscribe function. */
  onTransition(listener: TransitionListener): () => void;
  /** Forgets tasks, requests, faults and failure rules, and refills the balance. The server keeps running. */
  reset(): void;
  /** Stops listening and destroys every socket, hung ones included. */
  close(): Promise<void>;
}

/** Starts a simulator on `options.host`:`options.port` (127.0.0.1, a free port by default). */
export async function startSimulator(options?: SimulatorOptions): Promise<Simulator> {
  const resolved = resolveOptions(options);
  const core = new SimulatorCore(resolved);
  const callbacks = new CallbackDispatcher(core, resolved.callbacks, resolved.seed);
  const routes = buildRoutes(core.now());
  const sockets = new Set<Socket>();
  const shutdown = new AbortController();

  const server = createServer((req, res) => {
    res.on('error', () => undefined); // writes after a fault destroyed the socket are expected
    handleRequest(core, routes, req, res, shutdown.signal).catch((error: unknown) => {
      if (!isAbort(error)) console.error('[kling-simulator] request handling failed', error);
      res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const listening = `http://${host}:${address.port}`;
  // The CDN URLs in task results use the public base (what a client elsewhere can reach), the API the listening one.
  core.baseUrl = resolved.publicUrl?.replace(/\/+$/, '') ?? listening;

  let closing: Promise<void> | undefined;
  const mediaUrl = (token: string) => core.mediaUrl(token);
  return {
    url: listening,
    credentials: { apiKeys: resolved.apiKeys, accessKeys: resolved.accessKeys },
    requests: core.requestLog,
    faults: core.faults,
    callbacks,
    tasks: () => {
      core.tick();
      return core.store.all().map((task) => viewTask(task, core.store, mediaUrl));
    },
    task: (id) => {
      core.tick();
      const task = core.store.get(id);
      return task === undefined ? undefined : viewTask(task, core.store, mediaUrl);
    },
    videoBytes: (taskId) => Buffer.from(core.media.bytes(taskId)),
    videoSha256: (taskId) => core.media.sha256(taskId),
    completeTask: (taskId) => void core.store.complete(taskId, core.now()),
    failTask: (taskId, message) => void core.store.fail(taskId, message, core.now()),
    failNext: (message) => core.outcomes.failNext(message),
    failExternalId: (externalTaskId, message) => core.outcomes.failExternalId(externalTaskId, message),
    balance: () => {
      core.tick();
      return { totalUnits: core.balance.totalUnits, spentUnits: core.balance.spentUnits, remainingUnits: core.balance.remainingUnits };
    },
    deductions: () => {
      core.tick();
      return core.deductions.all().map((record) => ({
        taskId: record.taskId,
        status: record.task.status,
        apiKeyName: record.apiKeyName,
        deductionTime: record.deductionTime,
        unitBeforeDeduction: record.unitBeforeDeduction,
        deductionAmount: record.deductionAmount,
        unitAfterDeduction: record.unitAfterDeduction,
      }));
    },
    onTransition: (listener) => core.store.onTransition(listener),
    reset: () => {
      core.reset();
      callbacks.reset();
    },
    close: () => {
      closing ??= Promise.all([
        callbacks.close(),
        new Promise<void>((resolve) => {
          shutdown.abort();
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
          server.closeAllConnections();
        }),
      ]).then(() => undefined);
      return closing;
    },
  };
}

async function handleRequest(
  core: SimulatorCore,
  routes: readonly RouteDefinition[],
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://simulator.invalid');
  const match = matchRoute(routes, method, url.pathname);
  const route = match.type === 'not-found' ? undefined : match.route;
  const entry: RequestLogEntry = {
    at: core.now(),
    method,
    path: url.pathname,
    query: firstQueryValues(url.searchParams),
    routeKind: route?.kind ?? 'other',
    standard: route?.standard,
    authKind: classifyAuthorization(req.headers.authorization, core.options),
    body: undefined,
    status: null,
    code: null,
    fault: null,
    createdTaskId: undefined,
  };
  core.requestLog.push(entry);

  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === 'aborted') return;
  if (body === 'too-large') {
    const response = errorResponse(invalidRequest(`Invalid request parameters: the request body exceeds ${MAX_BODY_BYTES} bytes`));
    entry.status = response.status;
    entry.code = response.code;
    res.setHeader('connection', 'close');
    await writeResponse(res, response, { mode: 'normal' }, signal);
    return;
  }
  entry.body = bodyForLog(body);

  const fault = core.faults.take({ kind: entry.routeKind, standard: entry.standard });
  entry.fault = fault?.kind ?? null;
  if (fault?.kind === 'connection-reset') {
    req.socket.destroy();
    return;
  }
  if (fault?.kind === 'slow-response') {
    await delay(fault.delayMs, undefined, { signal });
    if (req.socket.destroyed) return; // the client gave up: nothing was processed
  }

  let response: SimResponse;
  const errorFault = errorFaultOf(fault);
  if (errorFault !== undefined && !errorFault.afterProcessing) {
    response = errorResponse(errorFault);
  } else if (fault?.kind === 'expired') {
    response = expiredMediaResponse(core);
  } else {
    response = await dispatch(core, match, { method, url, body, req, entry });
    if (errorFault !== undefined) response = errorResponse(errorFault);
    if (fault?.kind === 'not-video') response = notVideoResponse(response);
  }

  if (fault?.kind === 'accept-then-delay') await delay(fault.delayMs, undefined, { signal });
  if (fault?.kind === 'accept-then-hang') return; // no answer; close() destroys the socket
  if (fault?.kind === 'accept-then-reset') {
    req.socket.destroy();
    return;
  }
  entry.status = response.status;
  entry.code = response.code;
  await writeResponse(res, response, deliveryFor(fault), signal);
}

interface RequestParts {
  readonly method: string;
  readonly url: URL;
  readonly body: Buffer;
  readonly req: IncomingMessage;
  readonly entry: RequestLogEntry;
}

/** Auth, then the route handler; Kling errors become envelopes, anything else a 500/5000. */
async function dispatch(core: SimulatorCore, match: RouteMatch, parts: RequestParts): Promise<SimResponse> {
  try {
    if (match.type === 'not-found') throw resourceNotFound(`The requested resource does not exist: ${parts.method} ${parts.url.pathname}`);
    if (match.type === 'method-not-allowed') throw invalidMethod(parts.method, parts.url.pathname);
    core.tick();
    const caller = await authenticate(match.route.auth, parts.req.headers.authorization, core);
    return await match.route.handler({
      core,
      method: parts.method,
      url: parts.url,
      params: match.params,
      headers: parts.req.headers,
      rawBody: parts.body,
      caller,
      log: parts.entry,
    });
  } catch (error) {
    if (error instanceof KlingApiError) return errorResponse(error);
    console.error('[kling-simulator] internal error', error);
    return errorResponse({
      httpStatus: 500,
      code: 5000,
      message: `Server internal error: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

async function authenticate(scheme: AuthScheme, header: string | undefined, core: SimulatorCore): Promise<AuthenticatedCaller | undefined> {
  if (scheme === 'legacy') return authenticateLegacy(header, core.options, core.now());
  if (scheme === 'new') return authenticateNewStandard(header, core.options);
  return undefined;
}

function errorFaultOf(fault: Fault | undefined): { httpStatus: number; code: number; message: string; afterProcessing: boolean } | undefined {
  if (fault === undefined) return undefined;
  if (fault.kind === 'error') return { httpStatus: fault.status, code: fault.code, message: fault.message, afterProcessing: fault.afterProcessing };
  if (Object.hasOwn(ERROR_FAULTS, fault.kind) && 'afterProcessing' in fault) {
    const preset = ERROR_FAULTS[fault.kind as keyof typeof ERROR_FAULTS];
    return { httpStatus: preset.status, code: preset.code, message: preset.message, afterProcessing: fault.afterProcessing };
  }
  return undefined;
}

function deliveryFor(fault: Fault | undefined): BodyDelivery {
  if (fault?.kind === 'slow-body') return { mode: 'slow', chunkBytes: fault.chunkBytes, intervalMs: fault.intervalMs };
  if (fault?.kind === 'truncated-body') return { mode: 'truncated', sendBytes: fault.sendBytes };
  return { mode: 'normal' };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.once('close', () => {
      if (!req.complete) resolve('aborted');
    });
    req.once('error', () => resolve('aborted'));
  });
}

function bodyForLog(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function firstQueryValues(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of params) if (!Object.hasOwn(query, name)) query[name] = value;
  return query;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
