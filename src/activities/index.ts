import { Context } from '@temporalio/activity';
import type { Dispatcher } from 'undici';
import type { KlingClient, PricingTable } from '../kling/index.js';
import type { GenerateVideoInput, GenerationPlan, StoredVideo, SubmittedTask, TaskSnapshot } from '../shared/generation.js';
import type { VideoStorage } from '../storage/index.js';
import { DEFAULT_LIMIT_RETRY_DELAYS, toActivityFailure, type LimitRetryDelays } from './failures.js';
import { rehost, type RehostInput } from './rehost.js';
import { submitTask } from './submit.js';
import { validateVideoHostPolicy, type VideoHostPolicy } from './video-source.js';
import { validateGeneration } from './validate.js';

/** What the activities need; injected so tests and deployments choose the Kling endpoint, storage and prices. */
export interface ActivityDeps {
  kling: KlingClient;
  storage: VideoStorage;
  pricing?: PricingTable;
  /** Base of every object name. Default `kling-videos`. */
  objectPrefix?: string;
  /** Largest accepted video. Default 2 GiB. */
  maxVideoBytes?: number;
  /** Dispatcher for CDN downloads. */
  downloadDispatcher?: Dispatcher;
  /**
   * Hosts videos may be downloaded from (patterns like `*.kwimgs.com`), whether http is accepted and whether
   * private addresses are. Default: Kling's CDN hosts (`*.kwimgs.com`, `*.klingai.com`) over https only.
   */
  videoHosts?: VideoHostPolicy;
  /** Retry delays after Kling's 1302 (rate) and 1303 (concurrency) answers. Default 2 s and 10 s. */
  limitRetryDelays?: Partial<LimitRetryDelays>;
}

/** Activities of the generateVideo workflow, bound to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  const objectPrefix = deps.objectPrefix ?? 'kling-videos';
  const delays = { ...DEFAULT_LIMIT_RETRY_DELAYS, ...deps.limitRetryDelays };
  if (deps.videoHosts) validateVideoHostPolicy(deps.videoHosts);
  return {
    /** Schema, catalog, exclusivity, budget and lint; returns the plan. Nothing is submitted. */
    async validateVideoRequest(input: GenerateVideoInput, run?: { firstExecutionRunId: string }): Promise<GenerationPlan> {
      const execution = Context.current().info.workflowExecution;
      return validateGeneration({ kling: deps.kling, pricing: deps.pricing, objectPrefix }, input, {
        workflowId: execution?.workflowId ?? '',
        firstExecutionRunId: run?.firstExecutionRunId ?? execution?.runId ?? '',
      });
    },

    /** Idempotent create (see submitTask). */
    async submitVideoTask(args: { request: Record<string, unknown>; externalTaskId: string }): Promise<SubmittedTask> {
      return submitTask(deps.kling, args.request, args.externalTaskId, delays);
    },

    /** One status check; `failed` is a value, not an error. */
    async getVideoTaskStatus(task: SubmittedTask): Promise<TaskSnapshot> {
      try {
        const current = await deps.kling.getTask(task, { signal: Context.current().cancellationSignal });
        if (!current) return { status: 'unknown' };
        return { status: current.status, statusMessage: current.statusMessage, unitsDeducted: current.unitsDeducted };
      } catch (err) {
        throw toActivityFailure(err, delays);
      }
    },

    /** Download from Kling's CDN and store (see rehost). */
    async rehostVideo(input: RehostInput): Promise<StoredVideo> {
      return rehost(
        { kling: deps.kling, storage: deps.storage, maxVideoBytes: deps.maxVideoBytes, dispatcher: deps.downloadDispatcher, videoHosts: deps.videoHosts },
        input,
      );
    },
  };
}
