import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApiStandard, VideoKind } from '../kling/catalog.js';

/**
 * Account-wide slot admission (issue 17, docs/slots.md): one `accountSlots` entity workflow per task queue (the
 * account a worker set serves) × concurrency bucket (`video:<model>`, NEW §6: account × model version × pack type).
 */
export function accountSlotsWorkflowId(taskQueue: string, bucket: string): string {
  // Workflow ids may hold any character; the bucket's `:` is kept readable.
  return `kling-slots-${taskQueue}-${bucket}`;
}

/** The workflow type of the slot entity (started by name from an activity, see src/activities/account-slots.ts). */
export const ACCOUNT_SLOTS_WORKFLOW_TYPE = 'accountSlots';

/** The Kling task a slot is (or will be) used for: enough to ask Kling whether it still runs. */
export interface SlotTask {
  standard: ApiStandard;
  kind: VideoKind;
  externalTaskId: string;
  /** Known once the create was accepted (a hand-over at the end of a run). */
  taskId?: string;
}

/** A request for one slot, sent with Update-with-Start; idempotent per `key` (generation run + submission). */
export interface SlotRequest {
  key: string;
  /** The requester, which gets the `slotGranted` signal (filled in by the activity from its context). */
  workflowId: string;
  runId: string;
  /** Higher first; FIFO within a priority. Default 0. */
  priority: number;
  /** Slots of the bucket (configuration, KLING_SLOTS): the latest request's value wins. */
  limit: number;
  /** How often the entity checks that its holders still exist (a lease), while it holds slots. */
  leaseCheckMs: number;
  task: SlotTask;
}

/** The answer to a request: granted now, or queued at `position` (1 = next) behind `holders` holders. */
export interface SlotAnswer {
  granted: boolean;
  position: number;
  holders: number;
  limit: number;
}

export interface SlotHolder {
  key: string;
  workflowId: string;
  runId: string;
  task: SlotTask;
  /** When the slot was granted (workflow time, ms). */
  since: number;
  /**
   * The requesting run has ended but its Kling task may still run (timed out, cancelled after submission,
   * terminated): the slot stays taken until Kling reports the task ended.
   */
  orphaned?: boolean;
  /** Kling refused this holder's create with 1303 (its activity retries): it has no task yet, as far as the entity knows. */
  refused?: boolean;
}

export interface SlotWaiter {
  key: string;
  workflowId: string;
  runId: string;
  task: SlotTask;
  priority: number;
  /** When it asked (workflow time, ms). */
  since: number;
  /** Arrival order: FIFO within a priority. */
  seq: number;
}

/**
 * Tasks created outside the project (another app on the account): estimated from refused creates (1303). The
 * estimate decays by one every `decayMs` from `at`, so free slots are probed again, never stormed.
 */
export interface OutsideEstimate {
  count: number;
  at: number;
}

export interface AccountSlotsState {
  bucket: string;
  limit: number;
  leaseCheckMs: number;
  holders: SlotHolder[];
  queue: SlotWaiter[];
  outside: OutsideEstimate;
  seq: number;
  /** Counters kept across continue-as-new (for the query and docs/slots.md's figures). */
  granted: number;
  refused: number;
  reclaimed: number;
  /**
   * Continue-as-new once the history holds more events than this (default 4,000, also earlier when the server
   * suggests it). Kept across continue-as-new. Set only by a caller that starts the entity itself (a test that
   * must see a continue-as-new without thousands of messages); the activity's Update-with-Start leaves it unset.
   */
  continueAsNewAfterEvents?: number;
}

/** A fresh entity's state for `bucket` (the first request sets the limit and the lease check). */
export function emptySlotsState(bucket: string): AccountSlotsState {
  return {
    bucket,
    limit: 1,
    leaseCheckMs: 60_000,
    holders: [],
    queue: [],
    outside: { count: 0, at: 0 },
    seq: 0,
    granted: 0,
    refused: 0,
    reclaimed: 0,
  };
}

/** The entity's view for operators and tests (`kling-video`, `temporal workflow query`). */
export interface AccountSlotsView extends AccountSlotsState {
  /** Slots the entity may grant now: limit minus the outside estimate. */
  capacity: number;
}

/** Ask for a slot (idempotent per key): answers at once, granted or queued with the position. */
export const requestSlotUpdate = defineUpdate<SlotAnswer, [SlotRequest]>('requestSlot');
/** The Kling task of `key` ended (or nothing was created): the slot (or the place in the queue) is given back. */
export const releaseSlotSignal = defineSignal<[{ key: string }]>('releaseSlot');
/** The run of `key` ends while its Kling task may still run: keep the slot until Kling says the task ended. */
export const orphanSlotSignal = defineSignal<[{ key: string; task: SlotTask }]>('orphanSlot');
/** Kling refused the create of `key` with 1303: tasks created outside hold slots; shrink the estimate. */
export const slotRefusedSignal = defineSignal<[{ key: string }]>('slotRefused');
/** Entity → requester: the slot for `key` is yours. */
export const slotGrantedSignal = defineSignal<[{ key: string }]>('slotGranted');
export const accountSlotsQuery = defineQuery<AccountSlotsView>('slots');

/** Workflow → worker metrics (the `klingMetrics.accountSlots` sink): one bucket's slots after a change. */
export interface AccountSlotsEvent {
  bucket: string;
  inUse: number;
  waiting: number;
  /** Grantable now: `limit` minus the estimate of tasks created outside. */
  capacity: number;
  limit: number;
}
