import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  defaultPayloadConverter,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { createModelCatalog, resolveWithoutCredentials, type ModelCatalog } from './kling/index.js';
import { DEFAULT_TASK_QUEUE, WORKFLOW_ID_PATTERN } from './shared/constants.js';
import type { GenerateVideoInput, GenerateVideoResult, GenerationProgress } from './shared/generation.js';
import { KlingModel, KlingPhase } from './shared/search-attributes.js';
import { KlingValidationError } from './kling/index.js';
import { approveUpdate, generateVideo, progressQuery, rejectUpdate, type ApprovalDecision } from './workflows/index.js';

export interface StartOptions {
  /** The caller's idempotency key: starting the same id again returns the existing generation. */
  workflowId: string;
  taskQueue?: string;
  /** Workflow options (deadline, poll schedule, maxCredits, resubmitOnFailure, destination, lint). */
  options?: GenerateVideoInput['options'];
}

/**
 * Typed API for backend services. Requests are validated locally first (same rules as the worker, with the
 * default catalog), so a bad request fails at the call site with field-named errors and starts nothing.
 */
export class VideoGenerationClient {
  readonly #client: Client;
  readonly #catalog: ModelCatalog;
  readonly #taskQueue: string;

  constructor(client: Client, options: { catalog?: ModelCatalog; taskQueue?: string } = {}) {
    this.#client = client;
    this.#catalog = options.catalog ?? createModelCatalog();
    this.#taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  }

  /** Starts (or joins) a generation. Throws KlingValidationError before starting anything when the request is invalid. */
  async startVideoGeneration(request: Record<string, unknown>, start: StartOptions): Promise<WorkflowHandle<typeof generateVideo>> {
    if (!WORKFLOW_ID_PATTERN.test(start.workflowId))
      throw new KlingValidationError([{ field: 'workflowId', message: `must match ${WORKFLOW_ID_PATTERN}` }]);
    const resolved = resolveWithoutCredentials(request, this.#catalog);
    const input: GenerateVideoInput = { request, options: start.options };
    const prompt = resolved.request.prompt ?? '';
    try {
      return await this.#client.workflow.start(generateVideo, {
        args: [input],
        workflowId: start.workflowId,
        taskQueue: start.taskQueue ?? this.#taskQueue,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: [
          { key: KlingModel, value: resolved.model.id },
          { key: KlingPhase, value: 'validating' },
        ],
        staticSummary: truncate(`${resolved.model.id} ${resolved.request.kind}, ${resolved.duration}s ${resolved.resolution}: ${prompt}`, 200),
        staticDetails: `**Model** ${resolved.model.id} (${resolved.standard} standard)  \n**Kind** ${resolved.request.kind}  \n**Prompt** ${truncate(prompt, 2000)}`,
      });
    } catch (err) {
      // A completed generation with this id: same request → same job.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.#client.workflow.getHandle<typeof generateVideo>(start.workflowId);
      throw err;
    }
  }

  /** Phase, Kling task, polls, elapsed and, while rehosting, bytes transferred (from the activity's heartbeat). */
  async getProgress(workflowId: string): Promise<GenerationProgress> {
    const handle = this.#client.workflow.getHandle(workflowId);
    const [progress, description] = await Promise.all([handle.query(progressQuery), handle.describe()]);
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

function truncate(text: string, max: number): string {
  return Buffer.byteLength(text) <= max ? text : `${text.slice(0, max - 2)}…`;
}
