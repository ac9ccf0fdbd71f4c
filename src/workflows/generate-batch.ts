import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BatchItemEstimate, BatchItemOutcome, BatchProgress, GenerateBatchInput, GenerateBatchResult } from '../contract/batch.js';
import { BATCH_MEMO_KEY, batchItemWorkflowId, externalTaskIdFor } from '../contract/constants.js';
import { withFallbackPoll } from '../contract/callback-input-policy.js';
import { KlingPhase } from '../contract/search-attributes.js';
import { ApprovalGate } from './approval-gate.js';
import { batchItemTaskEndedSignal, batchProgressQuery, batchTrackedTasksQuery, type TrackedBatchTask } from '../contract/batch-messages.js';
import { admitWithinBudget, BucketSlots, round } from './batch-slots.js';
import { estimateBatchItems, validateBatchOptions, watchBatchTasks } from './activity-proxies.js';
import { generateVideo } from './generate-video.js';

/** Histories recorded before batched status queries replay without the watcher. */
const BATCH_POLLING_PATCH = 'kling-batch-polling-v1';

/** Items per estimate activity: keeps each activity's input and result small in the history. */
const ESTIMATE_CHUNK = 50;

/**
 * A batch of generations: every item is a child `generateVideo` (workflow id `<batchId>-<index>`, its own history,
 * result and costs). Before anything starts, every item is validated and estimated (an activity, nothing
 * submitted), and the total budget (`options.maxCredits`) admits items in input order: the rest are `skipped`
 * with the numbers. Admitted items start as their concurrency bucket (model version × pack type, NEW §6) has room:
 * the batch never has more unfinished Kling tasks in a bucket than its cap, so it never provokes a 1303 itself; a 1303
 * caused by another client of the account is retried by the submit activity. An item whose Kling task succeeded
 * gives its slot back before its rehost (`batchItemTaskEnded`). With `batchPolling`, one watcher activity looks the
 * new-standard items' tasks up 20 per call and wakes them (see watchBatchTasks). Failed items never lose the others'
 * results: the result lists every item with its outcome. Progress: the `batchProgress` query, the memo
 * (`BATCH_MEMO_KEY`), the current details and the KlingPhase search attribute.
 */
export async function generateBatch(input: GenerateBatchInput): Promise<GenerateBatchResult> {
  try {
    return await runBatch(input);
  } catch (err) {
    // Every end explains itself in the UI (a cancelled batch has shown its counts already).
    if (!isCancellation(err)) {
      const cause = err instanceof ApplicationFailure ? err : undefined;
      setCurrentDetails(
        `**failed** — ${cause?.type ?? (err instanceof Error ? err.name : 'Error')}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    throw err;
  }
}

async function runBatch(input: GenerateBatchInput): Promise<GenerateBatchResult> {
  const info = workflowInfo();
  const batchId = info.workflowId;
  const items = input.items ?? [];
  const total = items.length;
  const outcomes: Array<BatchItemOutcome | undefined> = new Array(total).fill(undefined);
  let phase: BatchProgress['phase'] = 'estimating';
  let inFlight = 0;
  let waiting = 0;
  let budget: number | undefined = undefined;
  let reserved = 0;
  let slots = new BucketSlots({ concurrency: 5 });
  const buckets = new Set<string>();
  /** In-flight new-standard items the batch's watcher looks up (by item index). */
  const tracked = new Map<number, TrackedBatchTask>();
  /** Started items by workflow id, with the slot each holds until its Kling task ends (or the item ends). */
  const holding = new Map<string, { index: number; bucket: string }>();
  /** Items that gave their slot back when their Kling task ended, before their rehost. */
  const released = new Set<number>();
  /** Something the run loop waits for happened: an item ended or gave its slot back. */
  let changed = false;

  const progress = (): BatchProgress => {
    const done = outcomes.filter((o): o is BatchItemOutcome => o !== undefined);
    const count = (kind: BatchItemOutcome['outcome']) => done.filter((o) => o.outcome === kind).length;
    const finished = done.filter((o) => o.outcome !== 'skipped');
    return {
      total,
      succeeded: count('succeeded'),
      failed: count('failed'),
      skipped: count('skipped'),
      inFlight,
      waiting,
      buckets: slots.snapshot(buckets),
      credits: {
        ...(budget !== undefined ? { budget } : {}),
        reserved,
        estimated: round(finished.reduce((s, o) => s + ('estimatedCredits' in o ? (o.estimatedCredits ?? 0) : 0), 0)),
        actual: round(finished.reduce((s, o) => s + ('actualCredits' in o ? (o.actualCredits ?? 0) : 0), 0)),
      },
      peakInFlight: slots.peak,
      polledByBatch: tracked.size,
      phase,
    };
  };
  setHandler(batchProgressQuery, progress);
  setHandler(batchTrackedTasksQuery, () => [...tracked.values()]);
  setHandler(batchItemTaskEndedSignal, ({ workflowId }) => {
    const item = holding.get(workflowId);
    if (item === undefined || released.has(item.index)) return;
    released.add(item.index);
    tracked.delete(item.index);
    slots.release(item.bucket);
    changed = true;
  });
  // The same approve/reject Updates as a single generation (kling-video approve <batch id>).
  const gate = new ApprovalGate();
  let approvedBy: string | undefined;

  const show = () => {
    const p = progress();
    setCurrentDetails(
      `**${p.phase}** — ${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped, ${p.inFlight} in flight, ${p.waiting} waiting of ${p.total}  \n` +
        `credits: ${p.credits.actual} actual, ${p.credits.estimated} estimated (finished), ${p.credits.reserved} reserved${p.credits.budget !== undefined ? ` of ${p.credits.budget}` : ''}`,
    );
  };
  // At most ~20 memo upserts per batch (each is a history event): every `memoStep` finished items, and at the end.
  const memoStep = Math.max(1, Math.ceil(total / 20));
  let memoAt = 0;
  const saveMemo = (force = false) => {
    const finished = outcomes.filter((o) => o !== undefined).length;
    if (!force && finished - memoAt < memoStep) return;
    memoAt = finished;
    upsertMemo({ [BATCH_MEMO_KEY]: progress() });
  };
  const enter = (next: BatchProgress['phase']) => {
    phase = next;
    upsertSearchAttributes([{ key: KlingPhase, value: `batch_${next}` }]);
    show();
  };

  enter('estimating');
  const options = await validateBatchOptions({ batchId, itemCount: total, options: input.options });
  budget = options.maxCredits;
  slots = new BucketSlots(options);

  const chunks: Array<Promise<BatchItemEstimate[]>> = [];
  for (let first = 0; first < total; first += ESTIMATE_CHUNK)
    chunks.push(
      estimateBatchItems({ batchId, firstIndex: first, items: items.slice(first, first + ESTIMATE_CHUNK), bucketScope: options.bucketScope }),
    );
  const estimates = (await Promise.all(chunks)).flat();

  for (const e of estimates) if (!e.ok) outcomes[e.index] = { index: e.index, outcome: 'failed', failureType: e.failureType, message: e.message };
  const admission = admitWithinBudget(estimates, budget);
  for (const s of admission.skipped) outcomes[s.index] = s;
  reserved = admission.reserved;
  for (const a of admission.admitted) buckets.add(a.bucket);

  if (options.approval && admission.reserved > options.approval.aboveCredits) {
    enter('awaiting_approval');
    setCurrentDetails(
      `**awaiting_approval** — ${admission.admitted.length} items, ${admission.reserved} credits est., above the approval threshold of ${options.approval.aboveCredits}: send the \`approve\` or \`reject\` Update`,
    );
    approvedBy = await gate.wait(admission.reserved, options.approval.aboveCredits, options.approval.timeout);
  }

  const queue = [...admission.admitted];
  waiting = queue.length;
  const running: Array<Promise<void>> = [];
  const polling = options.batchPolling;
  // patched last: the marker is recorded only by batches that do start a watcher.
  const watching = polling?.enabled === true && queue.some((item) => item.standard === 'new') && patched(BATCH_POLLING_PATCH);

  const runItem = async (item: (typeof queue)[number]): Promise<void> => {
    const workflowId = batchItemWorkflowId(batchId, item.index);
    const polledByBatch = watching && item.standard === 'new';
    holding.set(workflowId, { index: item.index, bucket: item.bucket });
    try {
      const child = await startChild(generateVideo, {
        workflowId,
        // A batched item's own poll is the slow fallback, unless the item chose its own schedule.
        args: [
          polledByBatch
            ? withFallbackPoll(items[item.index]!, { initialInterval: polling.childPollInterval, maxInterval: polling.childPollInterval })
            : items[item.index]!,
        ],
        // A cancelled batch asks its items to cancel, so each records how it ended (nothing spent, or still billed).
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `item ${item.index} of batch ${batchId} (${item.model})`,
      });
      // The id of the item's first submission; a resubmission (rare) is left to the item's own poll.
      if (polledByBatch && !released.has(item.index))
        tracked.set(item.index, { workflowId, externalTaskId: externalTaskIdFor(workflowId, child.firstExecutionRunId, 1) });
      const result = await child.result();
      outcomes[item.index] = {
        index: item.index,
        outcome: 'succeeded',
        workflowId,
        uri: result.uri,
        url: result.url,
        klingTaskId: result.klingTaskId,
        model: result.model,
        estimatedCredits: result.credits.estimated,
        ...(result.credits.actual !== undefined ? { actualCredits: result.credits.actual } : {}),
      };
    } catch (err) {
      outcomes[item.index] = failedItem(item, workflowId, err);
    } finally {
      holding.delete(workflowId);
      tracked.delete(item.index);
      inFlight--;
      if (!released.delete(item.index)) slots.release(item.bucket);
      changed = true;
    }
  };

  const launch = () => {
    for (let i = 0; i < queue.length;) {
      const item = queue[i]!;
      if (!slots.tryTake(item.bucket)) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      waiting--;
      inFlight++;
      running.push(runItem(item));
    }
  };

  const watcherScope = new CancellationScope();
  const watcher = watching
    ? watcherScope
        .run(() => watchBatchTasks({ batchId, batchRunId: info.runId, intervalMs: polling.interval }))
        .catch((err: unknown) => {
          if (!isCancellation(err))
            log.warn('the batch status watcher stopped; items fall back to their own polls', {
              error: err instanceof Error ? err.message : String(err),
            });
        })
    : undefined;

  try {
    enter('running');
    saveMemo(true);
    for (;;) {
      launch();
      show();
      if (inFlight === 0 && queue.length === 0) break;
      await condition(() => changed);
      changed = false;
      saveMemo();
    }
    watcherScope.cancel();
    await watcher;
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled: nothing more starts; the items in flight were asked to cancel and record their own outcome.
    await CancellationScope.nonCancellable(async () => {
      for (const item of queue.splice(0))
        outcomes[item.index] = {
          index: item.index,
          outcome: 'skipped',
          reason: 'batch cancelled before the item started',
          estimatedCredits: item.reservedCredits,
          remainingCredits: 0,
          maxCredits: budget ?? 0,
        };
      waiting = 0;
      await Promise.all(running);
      phase = 'completed';
      upsertSearchAttributes([{ key: KlingPhase, value: 'batch_cancelled' }]);
      saveMemo(true);
      const p = progress();
      setCurrentDetails(
        `**cancelled** — ${p.succeeded} succeeded, ${p.failed} failed (cancelled items included), ${p.skipped} skipped (never started) of ${p.total}  \n` +
          `credits: ${p.credits.actual} actual; each item's memo says whether it was billed`,
      );
    });
    throw err;
  }

  enter('completed');
  saveMemo(true);
  return { progress: progress(), items: outcomes.map((o, index) => o ?? lost(index)), ...(approvedBy ? { approvedBy } : {}) };
}

/** A failed child: its typed failure (type, message) and what Kling reported deducting, when it did. */
function failedItem(item: { index: number; reservedCredits: number; estimatedCredits: number }, workflowId: string, err: unknown): BatchItemOutcome {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = (cause.details?.[0] ?? {}) as { creditsDeducted?: number | null; taskId?: string };
    return {
      index: item.index,
      outcome: 'failed',
      workflowId,
      failureType: cause.type ?? 'Error',
      message: cause.message,
      estimatedCredits: item.estimatedCredits,
      ...(typeof details.creditsDeducted === 'number' ? { actualCredits: details.creditsDeducted } : {}),
      ...(details.taskId ? { klingTaskId: details.taskId } : {}),
    };
  }
  const type = isCancellation(cause) ? 'Cancelled' : cause instanceof Error ? cause.name : 'Error';
  return {
    index: item.index,
    outcome: 'failed',
    workflowId,
    failureType: type,
    message: cause instanceof Error ? cause.message : String(cause),
    estimatedCredits: item.estimatedCredits,
  };
}

/** Cannot happen (every item gets an outcome); kept so the result always lists every index. */
function lost(index: number): BatchItemOutcome {
  return { index, outcome: 'failed', failureType: 'Internal', message: 'no outcome was recorded for this item' };
}
