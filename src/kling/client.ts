import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { KlingAccountApi, type AccountCosts, type AccountCostsQuery, type TaskDeduction, type TaskDeductionQuery } from './account.js';
import { createModelCatalog, type ApiStandard, type ModelCatalog, type VideoKind } from './catalog.js';
import { KlingAuth, type KlingCredentialsConfig } from './credentials.js';
import { KlingApiError, KlingValidationError } from './errors.js';
import type { MediaUrlPolicy } from './media-url.js';
import { callKling, type HttpEvent, type HttpOptions } from './http.js';
import type { Clock } from './jwt-provider.js';
import { resolveRequest, zodIssues, type LegacyProduct, type ResolvedRequest } from './resolve-request.js';
import type { KlingTask, TaskRef } from './task.js';
import { WireRequest } from './wire-request.js';
import { fromLegacyTask, LegacyTaskData, legacyCreatePath, legacyTaskPath, legacyTaskRoute, LEGACY_FAMILY, legacyWireBody } from './wire-legacy.js';
import { fromNewTask, NEW_TASKS_QUERY_MAX_IDS, NewCreateData, newCreatePath, NewTaskData, toNewBody } from './wire-new.js';

/** Global endpoint (docs/reference/kling-api.md §1.1); China-mainland users set `https://api-beijing.klingai.com`. */
export const DEFAULT_KLING_BASE_URL = 'https://api-singapore.klingai.com';

export interface KlingClientOptions {
  credentials: KlingCredentialsConfig;
  /** Default: the global host. */
  baseUrl?: string;
  catalog?: ModelCatalog;
  /** Standard used for models both standards serve. Default `new`. */
  preferredStandard?: ApiStandard;
  /**
   * Kinds sent on the legacy standard too, whose legacy bodies rest on assumptions (`KLING_LEGACY_PRODUCTS`,
   * docs/products.md). Default none: omni-video and motion-control go on the new standard only.
   */
  legacyProducts?: readonly LegacyProduct[];
  /** Authentication on legacy routes when both credentials are configured. Default: the API key. */
  legacyAuth?: 'apiKey' | 'jwt';
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
  /** Clock for JWT minting (ms). */
  now?: Clock;
  /** undici dispatcher (connection pooling, proxies). */
  dispatcher?: Dispatcher;
  /**
   * How a legacy lookup by external id is sent: in the path (the official wording) or as
   * `?external_task_id=` (what some clients do). The references disagree; default `path`.
   */
  legacyExternalIdLookup?: 'path' | 'query';
  /**
   * Observer called after every HTTP call, success or not (metrics, logs): operation (`create`, `query`,
   * `list`, `account`), standard, method, path, HTTP status, Kling code, request id, duration. Never credentials.
   */
  onHttpEvent?: (event: HttpEvent) => void;
  /**
   * How long a `GET /account/costs` answer is reused (Kling asks for QPS ≤ 1 on it). Default 60 s; 0 disables
   * the cache. Requests are spaced ≥ 1 s apart regardless.
   */
  accountCostsCacheTtlMs?: number;
  /**
   * Which image URLs may be sent (Kling fetches them). Default: https only, never an internal address or a
   * `localhost`-style name. Loosen it only for the simulator or local test servers.
   */
  mediaUrlPolicy?: MediaUrlPolicy;
}

/**
 * The one module that speaks Kling's wire format. Callers use one request model; the client validates it
 * against the catalog, picks the standard (new where both serve the model, unless configured otherwise),
 * and returns tasks normalised to one shape and status vocabulary.
 */
export class KlingClient {
  readonly catalog: ModelCatalog;
  readonly #http: HttpOptions;
  readonly #auth: KlingAuth;
  readonly #preferred: ApiStandard;
  readonly #externalIdLookup: 'path' | 'query';
  readonly #account: KlingAccountApi;
  readonly #mediaUrlPolicy: MediaUrlPolicy | undefined;
  readonly #legacyProducts: readonly LegacyProduct[];

  constructor(options: KlingClientOptions) {
    this.catalog = options.catalog ?? createModelCatalog();
    this.#auth = new KlingAuth(options.credentials, { now: options.now, legacyAuth: options.legacyAuth });
    this.#preferred = options.preferredStandard ?? 'new';
    this.#externalIdLookup = options.legacyExternalIdLookup ?? 'path';
    this.#mediaUrlPolicy = options.mediaUrlPolicy;
    this.#legacyProducts = options.legacyProducts ?? [];
    this.#http = {
      baseUrl: options.baseUrl ?? DEFAULT_KLING_BASE_URL,
      auth: this.#auth,
      timeoutMs: options.requestTimeoutMs ?? 30_000,
      dispatcher: options.dispatcher,
      onEvent: options.onHttpEvent,
    };
    this.#account = new KlingAccountApi(this.#http, { costsCacheTtlMs: options.accountCostsCacheTtlMs, now: options.now });
  }

  /**
   * The account's resource packs with total and remaining units (`GET /account/costs`). Without times: the
   * current packs (window: the past year). Cached per query for `accountCostsCacheTtlMs`. Kling's remaining
   * quantity lags deductions by up to 12 h.
   */
  getAccountCosts(query: AccountCostsQuery = {}, options: { signal?: AbortSignal } = {}): Promise<AccountCosts> {
    return this.#account.getAccountCosts(query, options);
  }

  /**
   * Units the account's package ledger (`POST /account/billing/package`) records against a task, or undefined
   * when none is found in the window (default: the past 30 days; pass the task's `createdAt` as `startTime`).
   */
  getTaskDeduction(taskId: string, query: TaskDeductionQuery = {}): Promise<TaskDeduction | undefined> {
    return this.#account.getTaskDeduction(taskId, query);
  }

  /** Validates a request without sending anything. Throws KlingValidationError / KlingCredentialsError. */
  resolve(request: unknown): ResolvedRequest {
    return resolveRequest(request, {
      catalog: this.catalog,
      availableStandards: this.#auth.availableStandards,
      preferredStandard: this.#preferred,
      mediaUrlPolicy: this.#mediaUrlPolicy,
      legacyProducts: this.#legacyProducts,
    });
  }

  /** The exact body that would be sent for a request, and where (resolves it; see wireOf). */
  wireRequest(request: unknown): WireRequest {
    return this.wireOf(this.resolve(request));
  }

  /**
   * The create of a request resolved already (`resolve`): where it goes and its body, without resolving again. What a
   * validated generation carries in its plan and sends with createResolvedTask.
   */
  wireOf(resolved: ResolvedRequest): WireRequest {
    const kind = resolved.request.kind;
    return resolved.standard === 'legacy'
      ? { standard: 'legacy', kind, path: legacyCreatePath(kind), body: legacyWireBody(resolved) }
      : { standard: 'new', kind, path: newCreatePath(kind, resolved.model.standards.new!.pathId), body: toNewBody(resolved) };
  }

  /**
   * Creates a task (costs credits once it succeeds). A KlingNetworkError with `mayHaveReachedServer`
   * means the task may exist: look it up by external id before creating again.
   */
  async createTask(request: unknown, options: { signal?: AbortSignal } = {}): Promise<KlingTask> {
    return this.createResolvedTask(this.wireRequest(request), options);
  }

  /**
   * Creates a task from a create resolved earlier (wireRequest / wireOf, e.g. a validated plan's `wire`, with the
   * per-submission fields of withCreateFields): sent as is, the request is not resolved again. Its shape is checked
   * (the path stays on the configured host); the request's rules were checked when it was resolved. Like createTask,
   * a KlingNetworkError with `mayHaveReachedServer` means the task may exist.
   */
  async createResolvedTask(resolvedWire: WireRequest, options: { signal?: AbortSignal } = {}): Promise<KlingTask> {
    const parsed = WireRequest.safeParse(resolvedWire);
    if (!parsed.success) throw new KlingValidationError(zodIssues(parsed.error));
    const wire = parsed.data;
    const kind = wire.kind;
    if (wire.standard === 'legacy') {
      const data = await callKling(
        this.#http,
        { operation: 'create', method: 'POST', path: wire.path, standard: 'legacy', body: wire.body, signal: options.signal },
        LegacyTaskData,
      );
      return fromLegacyTask(data, kind);
    }
    const data = await callKling(
      this.#http,
      { operation: 'create', method: 'POST', path: wire.path, standard: 'new', body: wire.body, signal: options.signal },
      NewCreateData,
    );
    return fromNewTask({ ...data, status: 'submitted' }, { standard: 'new', kind });
  }

  /** One task, or `undefined` when Kling does not know it (legacy 400/1201 "not found", new an empty list). */
  async getTask(ref: TaskRef, options: { signal?: AbortSignal } = {}): Promise<KlingTask | undefined> {
    const id = ref.taskId ?? ref.externalTaskId;
    if (!id) throw new KlingValidationError([{ field: 'taskId', message: 'a task id or external task id is required' }]);
    if (ref.standard === 'new') {
      const by = ref.taskId ? 'taskId' : 'externalTaskId';
      const [task] = await this.getTasks([id], { by, standard: ref.standard, kind: ref.kind, signal: options.signal });
      return task;
    }
    const byQuery = !ref.taskId && this.#externalIdLookup === 'query';
    try {
      const data = await callKling(
        this.#http,
        {
          operation: 'query',
          method: 'GET',
          standard: 'legacy',
          path: byQuery ? `/v1/videos/${LEGACY_FAMILY[ref.kind]}` : legacyTaskPath(ref.kind, id),
          route: byQuery ? undefined : legacyTaskRoute(ref.kind),
          query: byQuery ? { external_task_id: id } : undefined,
          signal: options.signal,
        },
        byQuery ? z.union([LegacyTaskData, z.array(LegacyTaskData)]) : LegacyTaskData,
      );
      const item = Array.isArray(data) ? data[0] : data;
      return item ? fromLegacyTask(item, ref.kind) : undefined;
    } catch (err) {
      if (isUnknownTask(err)) return undefined;
      throw err;
    }
  }

  /**
   * Up to 20 tasks in one call (new standard `GET /tasks`, API key only). Unknown ids are absent from the result.
   * Kling's answer names neither the standard a task was created on nor its kind, and lists legacy-created tasks
   * too (docs/reference/kling-api-new-standard.md §3.6): pass what you know in `standard` and `kind`. Without them the tasks are
   * labelled `new` (where they were found, and can be queried again) and `text-to-video`.
   */
  async getTasks(
    ids: string[],
    options: { by?: 'taskId' | 'externalTaskId'; standard?: ApiStandard; kind?: VideoKind; signal?: AbortSignal } = {},
  ): Promise<KlingTask[]> {
    if (ids.length === 0) return [];
    if (ids.length > NEW_TASKS_QUERY_MAX_IDS)
      throw new KlingValidationError([{ field: 'ids', message: `at most ${NEW_TASKS_QUERY_MAX_IDS} ids per query, got ${ids.length}` }]);
    const param = options.by === 'externalTaskId' ? 'external_task_ids' : 'task_ids';
    const data = await callKling(
      this.#http,
      { operation: 'query', method: 'GET', path: '/tasks', standard: 'new', query: { [param]: ids.join(',') }, signal: options.signal },
      z.array(NewTaskData),
    );
    const origin = { standard: options.standard ?? 'new', kind: options.kind ?? 'text-to-video' } as const;
    return data.map((t) => fromNewTask(t, origin));
  }

  /** A page of legacy tasks of one family (`pageNum` 1..1000, `pageSize` 1..500). */
  async listLegacyTasks(kind: VideoKind, page: { pageNum?: number; pageSize?: number } = {}): Promise<KlingTask[]> {
    const data = await callKling(
      this.#http,
      {
        operation: 'list',
        method: 'GET',
        standard: 'legacy',
        path: `/v1/videos/${LEGACY_FAMILY[kind]}`,
        query: { pageNum: String(page.pageNum ?? 1), pageSize: String(page.pageSize ?? 30) },
      },
      z.array(LegacyTaskData),
    );
    return data.map((t) => fromLegacyTask(t, kind));
  }

  /**
   * A page of tasks across products (new standard `POST /tasks`, cursor based, API key only). Legacy-created
   * tasks are listed too and Kling names neither standard nor kind: tasks are labelled `new` (where they were
   * found) and `text-to-video`; look a task up by its family to learn more.
   */
  async listTasks(
    query: { cursor?: string; limit?: number; startTime?: number; endTime?: number; status?: string[] } = {},
  ): Promise<{ tasks: KlingTask[]; nextCursor?: string; hasMore: boolean }> {
    const data = await callKling(
      this.#http,
      {
        operation: 'list',
        method: 'POST',
        standard: 'new',
        path: '/tasks',
        body: {
          cursor: query.cursor,
          limit: query.limit,
          start_time: query.startTime,
          end_time: query.endTime,
          filters: query.status ? [{ key: 'status', values: query.status }] : undefined,
        },
      },
      z.object({ result: z.array(NewTaskData).optional(), next_cursor: z.string().optional(), has_more: z.boolean().default(false) }),
    );
    return {
      tasks: (data.result ?? []).map((t) => fromNewTask(t, { standard: 'new', kind: 'text-to-video' })),
      nextCursor: data.next_cursor,
      hasMore: data.has_more,
    };
  }
}

/** Legacy answers an unknown task with 400/1201 "Task not found…" (observed); the table says 404/1203. Accept both. */
function isUnknownTask(err: unknown): boolean {
  return err instanceof KlingApiError && (err.code === 1203 || (err.code === 1201 && /not\s*found/i.test(err.apiMessage)));
}
