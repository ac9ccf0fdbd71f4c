import { Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle, defaultPayloadConverter } from '@temporalio/client';
import type { Storage } from '@google-cloud/storage';
import type { Tracer } from '@opentelemetry/api';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { signedVideoUrl } from './signed-url.js';
import {
  createModelCatalog,
  resolveWithoutCredentials,
  type MediaUrlPolicy,
  type ModelCatalog,
  type PricingTable,
  type VideoRequestInput,
} from './kling/index.js';
import { DEFAULT_TASK_QUEUE, WORKFLOW_ID_PATTERN } from './contract/constants.js';
import { checkGenerationInput, type CheckedGeneration } from './activities/generation-check.js';
import type { AdoptVideoInput, GenerateVideoInput, GenerateVideoResult, GenerationProgress } from './contract/generation.js';
import { KlingModel, KlingPhase } from './contract/search-attributes.js';
import { KlingValidationError } from './kling/index.js';
import {
  GenerateBatchInput as GenerateBatchInputSchema,
  type BatchProgress,
  type GenerateBatchInput,
  type GenerateBatchResult,
} from './contract/batch.js';
import { batchProgressQuery, generateBatch } from './workflows/index.js';
import { zodIssues } from './kling/index.js';
import { withWorkerCheck } from './task-queue-check.js';
import { clientTracer, inSpan, withTracingInterceptor, type ClientTracingOption } from './tracing/index.js';
import {
  costEntry,
  costTotals,
  costsQuery,
  listEntry,
  listQuery,
  type CostEntry,
  type CostsReport,
  type LIST_STATUSES,
  type ListEntry,
} from './generation-queries.js';
import { assertSameRequest, batchIdentity, REQUEST_MEMO_KEY, requestIdentity, type RequestIdentity } from './idempotency.js';
import { adoptVideo, approveUpdate, generateVideo, progressQuery, rejectUpdate, type ApprovalDecision } from './workflows/index.js';

/**
 * A generation request as a caller writes it: the Kling request model's input type (durations as numbers or
 * digit strings, every field by its documented name), so a misspelled field or a wrong `kind` does not compile.
 * `externalTaskId` is left out: the workflow derives it from the workflow id.
 */
export type GenerationRequest = Omit<VideoRequestInput, 'externalTaskId'>;

/** A batch as a caller writes it: typed items (GenerationRequest) and the batch options. */
export interface BatchRequest {
  items: Array<{ request: GenerationRequest; options?: GenerateVideoInput['options'] }>;
  options?: GenerateBatchInput['options'];
}

export interface StartOptions {
  /**
   * The caller's idempotency key: starting the same id again with the same request joins (or returns) the existing
   * generation; with a different request it throws IdempotencyConflictError and starts nothing.
   */
  workflowId: string;
  taskQueue?: string;
  /** Workflow options (deadline, poll schedule, maxCredits, resubmitOnFailure, destination, lint). */
  options?: GenerateVideoInput['options'];
}

/** What local validation checks against; give the worker's catalog, prices and image-URL policy when it has its own. */
export interface LocalValidationOptions {
  /** Default: the built-in catalog (the worker's unless it sets KLING_CATALOG_FILE). */
  catalog?: ModelCatalog;
  /** Prices for the estimate and `maxCredits`. Default: the built-in table (the worker's unless it sets KLING_PRICING_FILE). */
  pricing?: PricingTable;
  /** Which image URLs may be sent. Default: public https only, like a worker without KLING_MEDIA_URL_ALLOW_*. */
  mediaUrlPolicy?: MediaUrlPolicy;
}

/**
 * The client's local validation of a generation: the very function the worker's validate activity runs
 * (checkGenerationInput: schemas, durations, no `externalTaskId`, catalog, estimate, `maxCredits`, lint), minus
 * what needs the workflow id or credentials (both standards are assumed reachable). Anything it accepts, a worker
 * with the same catalog, prices and image policy accepts. Request issues name the field as the caller wrote it
 * (`duration`), option issues `options.<field>`. Throws KlingValidationError, KlingBudgetExceededError or
 * PromptLintError; starts and sends nothing.
 */
export function validateGenerationLocally(
  request: unknown,
  options: GenerateVideoInput['options'],
  config: LocalValidationOptions = {},
): CheckedGeneration {
  try {
    return checkGenerationInput(options === undefined ? { request } : { request, options }, {
      resolve: (r) => resolveWithoutCredentials(r, config.catalog, { mediaUrlPolicy: config.mediaUrlPolicy }),
      pricing: config.pricing,
    });
  } catch (err) {
    if (err instanceof KlingValidationError) throw new KlingValidationError(err.issues.map((i) => ({ ...i, field: relativeToRequest(i.field) })));
    throw err;
  }
}

/**
 * A generation checked once and ready to start: `VideoGenerationClient.startPreparedGeneration` starts it without
 * checking it again. What a caller that validates before it connects (the CLI) holds between the two steps.
 */
export interface PreparedGeneration {
  /** The workflow input, as the caller wrote it (the worker parses it again: the input crosses JSON). */
  readonly input: { request: GenerationRequest; options?: GenerateVideoInput['options'] };
  /** What validateGenerationLocally found: the resolved request, the parsed options, the estimate, the lint. */
  readonly checked: CheckedGeneration;
}

/**
 * Checks a generation once (validateGenerationLocally, with the same errors) and keeps the result for
 * `startPreparedGeneration`. Give it the catalog, prices and image-URL policy the client was given.
 */
export function prepareVideoGeneration(
  request: GenerationRequest,
  options: GenerateVideoInput['options'],
  config: LocalValidationOptions = {},
): PreparedGeneration {
  const checked = validateGenerationLocally(request, options, config);
  return { input: options === undefined ? { request } : { request, options }, checked };
}

/** `request.duration` → `duration`, `request["odd key"]` → `["odd key"]`, `request` → `(request)`; `options.…` unchanged. */
function relativeToRequest(field: string): string {
  if (field === 'request') return '(request)';
  if (field.startsWith('request.')) return field.slice('request.'.length);
  if (field.startsWith('request[')) return field.slice('request'.length);
  return field;
}

/**
 * Typed API for backend services. Requests are validated locally first, by the same function as the worker's
 * validation (validateGenerationLocally), so a bad request fails at the call site with field-named errors and
 * starts nothing.
 */
export class VideoGenerationClient {
  readonly #client: Client;
  readonly #catalog: ModelCatalog;
  readonly #taskQueue: string;
  readonly #validation: LocalValidationOptions;
  readonly #tracer: Tracer | undefined;

  /**
   * `options.tracing`: OpenTelemetry, one trace per video from startVideoGeneration down to the worker's Kling calls
   * (docs/observability.md). Default: on when `OTEL_TRACES_EXPORTER` / `OTEL_EXPORTER_OTLP_ENDPOINT` ask for tracing;
   * then the calls go through a Client with the OpenTelemetry interceptor added. Off: `client` is used as given.
   */
  constructor(client: Client, options: LocalValidationOptions & { taskQueue?: string; tracing?: ClientTracingOption } = {}) {
    this.#tracer = clientTracer(options.tracing);
    this.#client = this.#tracer ? withTracingInterceptor(client, this.#tracer) : client;
    this.#catalog = options.catalog ?? createModelCatalog();
    this.#taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
    this.#validation = { catalog: this.#catalog, pricing: options.pricing, mediaUrlPolicy: options.mediaUrlPolicy };
  }

  /**
   * Starts (or joins) a generation. Throws KlingValidationError before starting anything when the request is
   * invalid (KlingBudgetExceededError / PromptLintError when over `options.maxCredits` / below a strict lint: see
   * validateGenerationLocally), and IdempotencyConflictError when the workflow id is already used by a different request.
   */
  async startVideoGeneration(request: GenerationRequest, start: StartOptions): Promise<WorkflowHandle<typeof generateVideo>> {
    return this.#traced(start.workflowId, () => this.#startPrepared(prepareVideoGeneration(request, start.options, this.#validation), start));
  }

  /**
   * Starts (or joins) a generation that prepareVideoGeneration checked already (with this client's catalog, prices and
   * image-URL policy), without checking it again; otherwise as startVideoGeneration.
   */
  async startPreparedGeneration(prepared: PreparedGeneration, start: Omit<StartOptions, 'options'>): Promise<WorkflowHandle<typeof generateVideo>> {
    return this.#traced(start.workflowId, () => this.#startPrepared(prepared, start));
  }

  /** With tracing, the root span of the video's trace: local validation, then the start (whose span the interceptor adds). */
  #traced<T>(workflowId: string, run: () => Promise<T>): Promise<T> {
    return this.#tracer ? inSpan(this.#tracer, 'startVideoGeneration', { temporalWorkflowId: workflowId }, run) : run();
  }

  async #startPrepared(prepared: PreparedGeneration, start: Omit<StartOptions, 'options'>): Promise<WorkflowHandle<typeof generateVideo>> {
    if (!WORKFLOW_ID_PATTERN.test(start.workflowId))
      throw new KlingValidationError([{ field: 'workflowId', message: `must match ${WORKFLOW_ID_PATTERN}` }]);
    // Checked once, by the worker's own validation (estimate, maxCredits and lint included): see validateGenerationLocally.
    const { resolved } = prepared.checked;
    const input: GenerateVideoInput = prepared.input;
    const prompt = resolved.request.prompt ?? '';
    const identity = requestIdentity(resolved.request as Record<string, unknown>);
    return this.#startOrJoin(start.workflowId, identity, () =>
      this.#client.workflow.start(generateVideo, {
        args: [input],
        workflowId: start.workflowId,
        taskQueue: start.taskQueue ?? this.#taskQueue,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        memo: { [REQUEST_MEMO_KEY]: identity },
        typedSearchAttributes: [
          { key: KlingModel, value: resolved.model.id },
          { key: KlingPhase, value: 'validating' },
        ],
        staticSummary: truncate(`${resolved.model.id} ${resolved.request.kind}, ${resolved.duration}s ${resolved.resolution}: ${prompt}`, 200),
        staticDetails: `**Model** ${resolved.model.id} (${resolved.standard} standard)  \n**Kind** ${resolved.request.kind}  \n**Prompt** ${truncate(prompt, 2000)}`,
      }),
    );
  }

  /**
   * Starts (or joins) a generation and resolves with its result, as hosted APIs' `subscribe`/`run` do: one call for
   * services that wait anyway. `onProgress` gets the `progress` query (phase, polls, bytes while rehosting) each
   * time it changes, polled every `progressIntervalMs` (default 1 s). Aborting `signal` stops waiting (rejecting
   * with its reason); the generation itself goes on — `cancel(workflowId)` stops it. Rejects like `result()`:
   * WorkflowFailedError whose `cause.type` is a FailureType; and before starting anything like `startVideoGeneration`.
   */
  async generate(
    request: GenerationRequest,
    start: StartOptions & { onProgress?: (progress: GenerationProgress) => void; signal?: AbortSignal; progressIntervalMs?: number },
  ): Promise<GenerateVideoResult> {
    const { onProgress, signal, progressIntervalMs = 1_000, ...startOptions } = start;
    signal?.throwIfAborted();
    const handle = await this.startVideoGeneration(request, startOptions);
    let settled = false;
    const result = handle.result().finally(() => (settled = true));
    const watching = onProgress
      ? this.#watchProgress(startOptions.workflowId, onProgress, progressIntervalMs, () => settled || signal?.aborted === true)
      : undefined;
    try {
      return await untilAborted(result, signal);
    } finally {
      settled = true;
      await watching;
    }
  }

  /** Calls `onProgress` with each new progress until `done()`; a failed query (a worker restarting) is skipped. */
  async #watchProgress(workflowId: string, onProgress: (p: GenerationProgress) => void, intervalMs: number, done: () => boolean): Promise<void> {
    let last = '';
    while (!done()) {
      const progress = await this.getProgress(workflowId).catch(() => undefined);
      const seen = progress === undefined ? last : JSON.stringify({ ...progress, elapsedMs: 0 });
      if (progress !== undefined && seen !== last && !done()) {
        last = seen;
        onProgress(progress);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /**
   * A fresh read URL for a stored video (a result, or anything with its `uri`): a V4 signed URL valid for
   * `expiresIn` (ms or a duration string like '15 minutes'; default 1 hour, at most 7 days) for `gs://` objects,
   * signed with `storage` (an @google-cloud/storage client; default: Application Default Credentials), or the
   * `file:` URL of local storage. Results keep only the permanent `uri` when the worker's URLs would expire, so a
   * signed URL never enters a workflow history, memo or log: ask for one when you hand the video out.
   */
  async signedUrl(stored: { uri: string }, options: { expiresIn?: number | string; storage?: Storage } = {}): Promise<string> {
    const expiresInSeconds = options.expiresIn === undefined ? undefined : msToNumber(options.expiresIn as never) / 1000;
    return signedVideoUrl(stored.uri, { expiresInSeconds, storage: options.storage });
  }

  /**
   * Recent generations, batches and adoptions of this namespace (Temporal visibility, LIST_WORKFLOW_TYPES), newest
   * first: type, status, phase, model, Kling task.
   */
  async list(options: { status?: keyof typeof LIST_STATUSES; limit?: number; query?: string } = {}): Promise<ListEntry[]> {
    const limit = options.limit ?? 20;
    const entries: ListEntry[] = [];
    for await (const w of this.#client.workflow.list({ query: listQuery(options.status, options.query), pageSize: Math.min(limit, 100) })) {
      entries.push(listEntry(w));
      if (entries.length >= limit) break;
    }
    return entries;
  }

  /**
   * The cost ledger of the generations started since `since`: each one's estimate, what Kling reported deducting,
   * drift and outcome (from its `klingCosts` memo), and the totals. At most `limit` (default 1,000) generations.
   */
  async costs(options: { since: Date; limit?: number; query?: string }): Promise<CostsReport> {
    const limit = options.limit ?? 1_000;
    const entries: CostEntry[] = [];
    for await (const w of this.#client.workflow.list({ query: costsQuery(options.since, options.query), pageSize: Math.min(limit, 100) })) {
      entries.push(costEntry(w));
      if (entries.length >= limit) break;
    }
    return { since: options.since.toISOString(), entries, totals: costTotals(entries) };
  }

  /**
   * Starts a workflow under an idempotency key, or joins the run that holds it (running, or closed and not
   * restartable): the joined run must have been started for the same request (its memo), else
   * IdempotencyConflictError, and the caller's start had no effect (USE_EXISTING keeps the existing run as is).
   */
  async #startOrJoin<H extends WorkflowHandle>(workflowId: string, identity: RequestIdentity, start: () => Promise<H>): Promise<H> {
    let handle: H;
    try {
      handle = await start();
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      handle = this.#client.workflow.getHandle(workflowId) as H;
    }
    assertSameRequest(workflowId, await handle.describe(), identity);
    return handle;
  }

  /**
   * Adopts an existing Kling task (submitted elsewhere, or left by a timed-out generation: its failure's
   * `details[0].adopt` is a ready-made `ref`) and stores its video; nothing is created or spent. The workflow id
   * defaults to `adopt-<id>`, so adopting the same task again joins (or, once completed, returns) the same
   * adoption; a failed one may be retried. Await `handle.result()` for an AdoptVideoResult; a KlingTaskNotFound
   * failure names the field when Kling knows no such task.
   */
  async adoptVideo(
    ref: Omit<AdoptVideoInput, 'options'>,
    start: { workflowId?: string; taskQueue?: string; options?: AdoptVideoInput['options'] } = {},
  ): Promise<WorkflowHandle<typeof adoptVideo>> {
    const id = ref.taskId ?? ref.externalTaskId ?? ref.id;
    if (!id) throw new KlingValidationError([{ field: 'taskId', message: 'give a task id, an external task id or an id of either kind' }]);
    const workflowId = start.workflowId ?? `adopt-${id}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120);
    if (!WORKFLOW_ID_PATTERN.test(workflowId))
      throw new KlingValidationError([{ field: 'workflowId', message: `must match ${WORKFLOW_ID_PATTERN}` }]);
    try {
      return await this.#client.workflow.start(adoptVideo, {
        args: [{ ...ref, ...(start.options ? { options: start.options } : {}) }],
        workflowId,
        taskQueue: start.taskQueue ?? this.#taskQueue,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: [{ key: KlingPhase, value: 'validating' }],
        staticSummary: truncate(`adopt Kling task ${id}`, 200),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.#client.workflow.getHandle<typeof adoptVideo>(workflowId);
      throw err;
    }
  }

  /**
   * Starts (or joins) a batch: every item a child generateVideo (`<workflowId>-<index>`), at most
   * `options.concurrency` unfinished per concurrency bucket, within `options.maxCredits` (docs/batches.md).
   * Validated locally first: a malformed batch or any invalid item throws KlingValidationError naming
   * `items[i].request.<field>` and starts nothing.
   */
  async startBatch(input: BatchRequest, start: { workflowId: string; taskQueue?: string }): Promise<WorkflowHandle<typeof generateBatch>> {
    if (!WORKFLOW_ID_PATTERN.test(start.workflowId) || start.workflowId.length > 110)
      throw new KlingValidationError([{ field: 'workflowId', message: `must match ${WORKFLOW_ID_PATTERN} and be at most 110 characters` }]);
    const parsed = GenerateBatchInputSchema.safeParse(input);
    // `items[i].…`, as the request issues below and the worker's batch estimate name them.
    if (!parsed.success)
      throw new KlingValidationError(zodIssues(parsed.error).map((i) => ({ ...i, field: i.field.replace(/^items\.(\d+)/, 'items[$1]') })));
    const issues: Array<{ field: string; message: string }> = [];
    const models = new Set<string>();
    const resolvedItems: Array<Record<string, unknown>> = [];
    input.items.forEach((item, i) => {
      try {
        const resolved = resolveWithoutCredentials(item.request, this.#catalog, { mediaUrlPolicy: this.#validation.mediaUrlPolicy });
        models.add(resolved.model.id);
        resolvedItems.push(resolved.request as Record<string, unknown>);
      } catch (err) {
        if (!(err instanceof KlingValidationError)) throw err;
        for (const issue of err.issues) issues.push({ field: `items[${i}].request.${issue.field}`, message: issue.message });
      }
    });
    if (issues.length) throw new KlingValidationError(issues);
    const identity = batchIdentity(resolvedItems, input.options);
    return this.#startOrJoin(start.workflowId, identity, () =>
      this.#client.workflow.start(generateBatch, {
        args: [input],
        workflowId: start.workflowId,
        taskQueue: start.taskQueue ?? this.#taskQueue,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        memo: { [REQUEST_MEMO_KEY]: identity },
        typedSearchAttributes: [{ key: KlingPhase, value: 'batch_estimating' }],
        staticSummary: truncate(`batch of ${input.items.length}: ${[...models].join(', ')}`, 200),
      }),
    );
  }

  /** A batch's counters: succeeded, failed, skipped, in flight, waiting, slots per bucket, credits. */
  async getBatchProgress(workflowId: string): Promise<BatchProgress> {
    return this.#client.workflow.getHandle(workflowId).query(batchProgressQuery);
  }

  /** Waits for a batch: every item with its outcome (succeeded with the uri, failed with its type, skipped with the numbers). */
  async batchResult(workflowId: string): Promise<GenerateBatchResult> {
    return this.#client.workflow.getHandle<typeof generateBatch>(workflowId).result();
  }

  /** Phase, Kling task, polls, elapsed and, while rehosting, bytes transferred (from the activity's heartbeat). */
  async getProgress(workflowId: string): Promise<GenerationProgress> {
    const handle = this.#client.workflow.getHandle(workflowId);
    // No worker polling the workflow's task queue: NoWorkerPollingError within seconds, not a 30 s query timeout.
    const [progress, description] = await Promise.all([withWorkerCheck(this.#client, workflowId, handle.query(progressQuery)), handle.describe()]);
    for (const activity of description.raw.pendingActivities ?? []) {
      const payload = activity.heartbeatDetails?.payloads?.[0];
      if (!payload) continue;
      const detail = defaultPayloadConverter.fromPayload<{ bytes?: number; total?: number }>(payload);
      return { ...progress, bytesTransferred: detail.bytes, totalBytes: detail.total };
    }
    return progress;
  }

  /** Waits for the result; rejects with WorkflowFailedError whose `cause.type` is a FailureType. */
  async result(workflowId: string): Promise<GenerateVideoResult> {
    return this.#client.workflow.getHandle<typeof generateVideo>(workflowId).result();
  }

  /**
   * Approves a generation waiting at the approval gate (`options.approval`); `by` is recorded in the result and
   * memo. Rejects with WorkflowUpdateFailedError when no approval is pending or `by` is empty.
   */
  async approve(workflowId: string, decision: { by: string; note?: string }): Promise<ApprovalDecision> {
    return this.#client.workflow.getHandle(workflowId).executeUpdate(approveUpdate, { args: [decision] });
  }

  /** Rejects a generation waiting at the approval gate: it fails with ApprovalRejected, nothing submitted. Same refusals as approve, plus an empty reason. */
  async reject(workflowId: string, decision: { by: string; reason: string }): Promise<ApprovalDecision> {
    return this.#client.workflow.getHandle(workflowId).executeUpdate(rejectUpdate, { args: [decision] });
  }

  /**
   * Requests cancellation. Kling has no cancel endpoint: a submitted task still finishes and is billed. How it
   * ended (`cancelled_before_submit`, `abandoned_billed` with the task id) is in the memo (COST_MEMO_KEY) and the
   * `progress` query (`outcome`, `costs`), since Temporal keeps no details on a cancelled workflow.
   */
  async cancel(workflowId: string): Promise<void> {
    await this.#client.workflow.getHandle(workflowId).cancel();
  }
}

/** `promise`, or a rejection with the signal's reason once it aborts (the work behind the promise goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function truncate(text: string, max: number): string {
  return Buffer.byteLength(text) <= max ? text : `${text.slice(0, max - 2)}…`;
}
