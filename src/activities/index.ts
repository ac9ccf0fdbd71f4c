import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Dispatcher } from 'undici';
import { withFallbackPoll, type FallbackPoll } from '../contract/callback-input-policy.js';
import { defaultPricingTable, type KlingClient, type PricingTable } from '../kling/index.js';
import type { KlingMetrics } from '../metrics/kling-metrics.js';
import type {
  AdoptionPlan,
  AdoptVideoInput,
  GenerateVideoInput,
  GenerationPlan,
  StoredVideo,
  SubmissionTarget,
  SubmittedTask,
  TaskSnapshot,
} from '../contract/generation.js';
import type { VideoStorage } from '../storage/index.js';
import { estimateBatchItems, validateBatchOptions } from './batch-estimate.js';
import { planAdoption } from './adopt.js';
import { findEarlierRunTask } from './earlier-runs.js';
import { checkAccountBalance, type BalanceCheckResult, type BalanceGuardConfig, type CheckAccountBalanceInput } from './balance.js';
import { DEFAULT_LIMIT_RETRY_DELAYS, toActivityFailure, type LimitRetryDelays } from './failures.js';
import { rehost, type RehostInput } from './rehost.js';
import { RecentVideoUrls } from './recent-video-urls.js';
import { reserveCredits } from './credit-budget.js';
import { createFor, findTask, lookupPlaceOf, submitTask } from './submit.js';
import { validateVideoHostPolicy, type VideoHostPolicy } from '../download/video-source.js';
import { taskSnapshot } from './task-snapshot.js';
import { validateGeneration } from './validate.js';
import { watchBatchTasks, type BatchWatchStats, type WatchBatchInput } from './batch-watch.js';
import {
  awaitSlotRelease,
  checkSlotHolders,
  isConcurrencyRefusal,
  reportSlotRefused,
  requestAccountSlot,
  slotsFor,
  type AccountSlotsConfig,
  type SlotHolderCheck,
} from './account-slots.js';
import { awaitTaskChange, type AwaitTaskChangeInput, type AwaitTaskChangeResult } from './await-task-change.js';

/** Time kept free of a refused submit's wait for a slot release, so the attempt ends before its startToClose timeout. */
const SUBMIT_TIMEOUT_MARGIN_MS = 5_000;
/** Temporal needs a positive retry delay: the least one, when a refused submit already waited out its backoff. */
const MIN_RETRY_DELAY_MS = 50;

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
  /**
   * Prometheus metrics: bytes rehosted here, and (through createKlingWorker) the workflow's generationFinished
   * sink. Kling API calls are counted by the KlingClient's `onHttpEvent: metrics.observeKlingCall`.
   */
  metrics?: KlingMetrics;
  /** The balance guard (`KLING_BALANCE_GUARD`); off when absent. See checkAccountBalance. */
  balanceGuard?: BalanceGuardConfig;
  /** Public callback URL (`KLING_CALLBACK_URL`) added to every create whose request has none. See docs/callbacks.md. */
  callbackUrl?: string;
  /** With callbacks on: the poll schedule (ms) of generations whose input sets no `options.poll`. */
  callbackFallbackPoll?: FallbackPoll;
  /** Account-wide slot admission (`KLING_SLOTS`, docs/slots.md); off when absent. */
  accountSlots?: AccountSlotsConfig;
  /**
   * Video URLs the status checks and batch lookups of this worker read, reused by its rehosts instead of asking Kling
   * again (see RecentVideoUrls). Default: one per createActivities call.
   */
  recentVideoUrls?: RecentVideoUrls;
}

/** Activities of the generateVideo workflow, bound to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  const objectPrefix = deps.objectPrefix ?? 'kling-videos';
  const delays = { ...DEFAULT_LIMIT_RETRY_DELAYS, ...deps.limitRetryDelays };
  if (deps.videoHosts) validateVideoHostPolicy(deps.videoHosts);
  const recentUrls = deps.recentVideoUrls ?? new RecentVideoUrls();
  return {
    /**
     * Schema, catalog, exclusivity, budget and lint; returns the plan. Nothing is submitted. On a re-run of a
     * workflow id, a task an earlier run left for the same request comes back as `plan.earlierTask` (see findEarlierRunTask).
     */
    async validateVideoRequest(input: GenerateVideoInput, run?: { firstExecutionRunId: string }): Promise<GenerationPlan> {
      const context = Context.current();
      const execution = context.info.workflowExecution;
      const fallback = deps.callbackUrl === undefined ? undefined : deps.callbackFallbackPoll;
      const validated = validateGeneration({ kling: deps.kling, pricing: deps.pricing, objectPrefix }, withFallbackPoll(input, fallback), {
        workflowId: execution?.workflowId ?? '',
        firstExecutionRunId: run?.firstExecutionRunId ?? execution?.runId ?? '',
      });
      // The bucket and its slot count when account-wide admission is configured for it (KLING_SLOTS).
      const slots = slotsFor(deps.accountSlots, validated.model);
      const guarded = { ...validated, balanceGuard: deps.balanceGuard?.enabled === true };
      // slotPriority was validated above (an integer from -100 to 100, or absent).
      const priority = input.options?.slotPriority;
      const plan = slots ? { ...guarded, slots: { ...slots, ...(priority !== undefined ? { priority } : {}) } } : guarded;
      if (!plan.requestSha256 || !execution) return plan;
      const earlierTask = await findEarlierRunTask(
        { kling: deps.kling, temporal: context.client, signal: context.cancellationSignal, log: context.log },
        { workflowId: execution.workflowId, runId: execution.runId, requestSha256: plan.requestSha256, standard: plan.standard, kind: plan.kind },
      );
      if (earlierTask)
        context.log.info('an earlier run of this workflow id left a Kling task for the same request; collecting it instead of paying again', {
          ...earlierTask,
        });
      return earlierTask ? { ...plan, earlierTask } : plan;
    },

    /**
     * Idempotent create (see submitTask) of the plan's resolved create (`wire`; older runs: `request`, see createFor);
     * `lookupFirst` after an unknown outcome.
     */
    async submitVideoTask(
      args: SubmissionTarget & {
        externalTaskId: string;
        lookupFirst?: boolean;
        /** The account slot this create holds: a 1303 is reported to its entity (see reportSlotRefused). */
        slot?: { entityWorkflowId: string; key: string };
      },
    ): Promise<SubmittedTask> {
      const context = Context.current();
      const startedAt = Date.now();
      const create = createFor(deps.kling, args, { externalTaskId: args.externalTaskId, callbackUrl: deps.callbackUrl });
      for (;;) {
        try {
          return await submitTask(deps.kling, create, args.externalTaskId, delays, { lookupFirst: args.lookupFirst });
        } catch (err) {
          await reportSlotRefused(context.client, args.slot, err);
          if (!args.slot || !isConcurrencyRefusal(err)) throw err;
          // A 1303 while holding an account slot (tasks created outside hold the others): wait for one of ours to give
          // its slot back and create again at once (a 1303 created nothing: no lookup first), instead of the fixed
          // backoff while that slot stays unused. Capped at the backoff, and within this attempt's timeout.
          const budgetMs = context.info.startToCloseTimeoutMs - (Date.now() - startedAt) - SUBMIT_TIMEOUT_MARGIN_MS;
          const wait = await awaitSlotRelease(context.client, args.slot, {
            maxMs: Math.min(delays.concurrencyLimitMs, budgetMs),
            sleep: async (ms) => {
              context.heartbeat();
              await context.sleep(ms);
            },
          });
          if (wait.released) continue;
          // No release within the cap: the rest of the backoff, as before.
          const failure = err as ApplicationFailure;
          throw ApplicationFailure.create({
            type: failure.type ?? undefined,
            message: failure.message,
            details: failure.details ? [...failure.details] : undefined,
            nextRetryDelay: Math.max(delays.concurrencyLimitMs - wait.waitedMs, MIN_RETRY_DELAY_MS),
          });
        }
      }
    },

    /** Looks a task up by external id (after an unknown submission); null when Kling shows none. */
    async findVideoTask(args: SubmissionTarget & { externalTaskId: string }): Promise<SubmittedTask | null> {
      return findTask(deps.kling, lookupPlaceOf(deps.kling, args, args.externalTaskId), args.externalTaskId);
    },

    /** adoptVideo: validates the input and finds the existing task (see planAdoption). Never creates anything. */
    async planAdoption(input: AdoptVideoInput, run?: { firstExecutionRunId: string }): Promise<AdoptionPlan> {
      const { info, cancellationSignal } = Context.current();
      const creditsPerUnit = (deps.pricing ?? defaultPricingTable()).creditsPerUnit;
      return planAdoption(
        { kling: deps.kling, creditsPerUnit, objectPrefix },
        input,
        {
          workflowId: info.workflowExecution?.workflowId ?? '',
          firstExecutionRunId: run?.firstExecutionRunId ?? info.workflowExecution?.runId ?? '',
        },
        cancellationSignal,
      );
    },

    /** Reserves credits in the task queue's rolling budget (see reserveCredits). */
    reserveCredits,

    /** Asks the bucket's `accountSlots` entity for a slot (see requestAccountSlot). */
    requestAccountSlot,

    /** The `accountSlots` entity's lease check (see checkSlotHolders). */
    async checkSlotHolders(args: { holders: SlotHolderCheck[] }) {
      const { client, cancellationSignal: signal } = Context.current();
      return checkSlotHolders({ kling: deps.kling, client, signal }, args);
    },

    /** One status check; `failed` is a value, not an error (see taskSnapshot for the deduction). */
    async getVideoTaskStatus(task: SubmittedTask): Promise<TaskSnapshot> {
      const { cancellationSignal: signal, log } = Context.current();
      let current;
      try {
        current = await deps.kling.getTask(task, { signal });
      } catch (err) {
        throw toActivityFailure(err, delays);
      }
      if (!current) return { status: 'unknown' };
      recentUrls.remember(current);
      return taskSnapshot(deps.kling, { ...current, standard: task.standard }, { signal, warn: (m, a) => log.warn(m, a) });
    },

    /**
     * Waits in its own retries until the task's status differs from the known one (see awaitTaskChange): the
     * workflow's history records one activity per status change, not one per check.
     */
    async awaitVideoTaskChange(input: AwaitTaskChangeInput): Promise<AwaitTaskChangeResult> {
      return awaitTaskChange({ kling: deps.kling, delays, recentUrls }, input);
    },

    /** A batch's status watcher: its in-flight new-standard items, 20 per query, each woken on a change (see watchBatchTasks). */
    async watchBatchTasks(input: WatchBatchInput): Promise<BatchWatchStats> {
      return watchBatchTasks({ kling: deps.kling, recentUrls }, input);
    },

    /**
     * The balance guard, called before a paid submission: `{ checked: false }` when disabled; otherwise fails with a
     * non-retryable BudgetExceeded (`details[0].budget === 'balance'`) when the packs cannot cover the estimate.
     */
    async checkAccountBalance(input: CheckAccountBalanceInput): Promise<BalanceCheckResult> {
      return checkAccountBalance({ kling: deps.kling, guard: deps.balanceGuard, delays, signal: Context.current().cancellationSignal }, input);
    },

    /** Batch-level checks of generateBatch (see validateBatchOptions). */
    async validateBatchOptions(args: { batchId: string; itemCount: number; options: unknown }) {
      return validateBatchOptions(args);
    },

    /** Estimates and buckets a chunk of batch items without submitting anything (see estimateBatchItems). */
    async estimateBatchItems(args: Parameters<typeof estimateBatchItems>[1]) {
      return estimateBatchItems({ kling: deps.kling, pricing: deps.pricing, objectPrefix }, args);
    },

    /** Download from Kling's CDN and store (see rehost). */
    async rehostVideo(input: RehostInput): Promise<StoredVideo> {
      return rehost(
        {
          kling: deps.kling,
          storage: deps.storage,
          maxVideoBytes: deps.maxVideoBytes,
          dispatcher: deps.downloadDispatcher,
          videoHosts: deps.videoHosts,
          recentUrls,
          onStored: deps.metrics?.addRehostedBytes,
        },
        input,
      );
    },
  };
}
