import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy, WorkflowNotFoundError } from '@temporalio/common';
import type { KlingClient } from '../kling/index.js';
import {
  ACCOUNT_SLOTS_WORKFLOW_TYPE,
  accountSlotsQuery,
  accountSlotsWorkflowId,
  emptySlotsState,
  requestSlotUpdate,
  slotRefusedSignal,
  type SlotAnswer,
  type SlotRequest,
  type SlotTask,
} from '../contract/slot-messages.js';

/** Every video task draws on the video pack (NEW §6 "resource package type"), as in the batch's buckets. */
const VIDEO_PACK = 'video';

/** Default lease check: a slot held by a run that was terminated comes back within about this long. */
export const DEFAULT_SLOT_LEASE_CHECK_MS = 60_000;

/**
 * Account-wide slot admission (KLING_SLOTS, docs/slots.md): slots per concurrency bucket. Absent (or a model
 * with no count and no default): generations of that bucket are not admitted through the entity at all.
 */
export interface AccountSlotsConfig {
  /** Slots of every bucket not named in `perModel`. */
  default?: number;
  /** Slots by canonical model id (the catalog's `id`, aliases resolved). */
  perModel: Record<string, number>;
  /** How often the entity checks that its holders still exist. Default 60 s. */
  leaseCheckMs?: number;
}

/** What validation puts into the plan when the bucket of `model` is configured. */
export function slotsFor(config: AccountSlotsConfig | undefined, model: string): { bucket: string; limit: number; leaseCheckMs: number } | undefined {
  const limit = config?.perModel[model] ?? config?.default;
  if (config === undefined || limit === undefined) return undefined;
  return { bucket: `${VIDEO_PACK}:${model}`, limit, leaseCheckMs: config.leaseCheckMs ?? DEFAULT_SLOT_LEASE_CHECK_MS };
}

/**
 * Parses KLING_SLOTS: comma-separated entries, each a slot count for every bucket (`5`) or for one model
 * (`kling-3.0-omni=10`, aliases allowed: `resolve` maps a name to the canonical id, or undefined when unknown).
 * Throws naming the variable and the entry.
 */
export function parseSlotsSetting(value: string, resolve: (model: string) => string | undefined, variable = 'KLING_SLOTS'): AccountSlotsConfig {
  const config: AccountSlotsConfig = { perModel: {} };
  const count = (text: string, entry: string) => {
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1000)
      throw new Error(`${variable}: "${entry}" needs a whole number of slots from 1 to 1000 (e.g. "5" for every model, or "kling-2.6=5")`);
    return Number(text);
  };
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    if (eq < 0) {
      if (config.default !== undefined)
        throw new Error(`${variable}: more than one default count ("${entry}"); name a model for the others ("kling-2.6=5")`);
      config.default = count(entry, entry);
      continue;
    }
    const name = entry.slice(0, eq).trim();
    const id = resolve(name);
    if (!id) throw new Error(`${variable}: "${entry}" names an unknown model "${name}"; use a model id or alias of the catalog (e.g. "kling-2.6=5")`);
    if (config.perModel[id] !== undefined) throw new Error(`${variable}: model "${id}" is given twice`);
    config.perModel[id] = count(entry.slice(eq + 1).trim(), entry);
  }
  if (config.default === undefined && Object.keys(config.perModel).length === 0)
    throw new Error(`${variable}: no slot count given (e.g. "5", or "kling-2.6=5,kling-3.0-omni=10")`);
  return config;
}

/**
 * Asks the bucket's `accountSlots` entity for a slot: Update-with-Start (started on first use, joined
 * afterwards), deduplicated by the request's key and run, so a retried attempt gets the answer the first one got. The
 * requester is this activity's workflow run; a slot not granted at once arrives later as a `slotGranted` signal.
 */
export async function requestAccountSlot(args: {
  taskQueue: string;
  bucket: string;
  request: Omit<SlotRequest, 'workflowId' | 'runId'>;
}): Promise<SlotAnswer> {
  const { client, info } = Context.current();
  const execution = info.workflowExecution;
  if (!execution) throw ApplicationFailure.nonRetryable("requestAccountSlot runs only as a workflow's activity", 'InvalidSlotRequest');
  const startWorkflowOperation = new WithStartWorkflowOperation(ACCOUNT_SLOTS_WORKFLOW_TYPE, {
    workflowId: accountSlotsWorkflowId(args.taskQueue, args.bucket),
    taskQueue: args.taskQueue,
    args: [emptySlotsState(args.bucket)],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return client.workflow.executeUpdateWithStart(requestSlotUpdate, {
    args: [{ ...args.request, workflowId: execution.workflowId, runId: execution.runId }],
    // Per key and run: a retried attempt is deduplicated, while a reset run (same key, new run id) is heard again.
    updateId: `${args.request.key}/${execution.runId}`,
    startWorkflowOperation,
  });
}

/** A holder as the lease check sees it. */
export interface SlotHolderCheck {
  key: string;
  workflowId: string;
  runId: string;
  task: SlotTask;
  /** Its run already handed the slot over: only its Kling task is asked about. */
  orphaned: boolean;
}

/** `running`: the run is open. `task_running`: the run is closed but its Kling task still runs. `ended`: the slot can come back. */
export type SlotHolderVerdict = 'running' | 'task_running' | 'ended';

/**
 * The lease check of the `accountSlots` entity: for each holder, is its workflow run still open? If not, does
 * Kling still run its task (found by task id or external id, not terminal)? A holder whose run is closed and
 * whose task ended or was never created gets `ended`. A holder that cannot be checked (Temporal or Kling not
 * answering) is reported `running`: a slot is never freed on a guess.
 */
export async function checkSlotHolders(
  deps: { kling: KlingClient; client: Client; signal?: AbortSignal },
  args: { holders: SlotHolderCheck[] },
): Promise<Array<{ key: string; verdict: SlotHolderVerdict }>> {
  const out: Array<{ key: string; verdict: SlotHolderVerdict }> = [];
  for (const h of args.holders) out.push({ key: h.key, verdict: await verdictOf(deps, h) });
  return out;
}

async function verdictOf(deps: { kling: KlingClient; client: Client; signal?: AbortSignal }, h: SlotHolderCheck): Promise<SlotHolderVerdict> {
  if (!h.orphaned) {
    try {
      const description = await deps.client.workflow.getHandle(h.workflowId, h.runId).describe();
      if (description.status.name === 'RUNNING') return 'running';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) return 'running';
    }
  }
  try {
    const task = await deps.kling.getTask(
      h.task.taskId
        ? { standard: h.task.standard, kind: h.task.kind, taskId: h.task.taskId }
        : { standard: h.task.standard, kind: h.task.kind, externalTaskId: h.task.externalTaskId },
      { signal: deps.signal },
    );
    return task && (task.status === 'submitted' || task.status === 'processing') ? 'task_running' : 'ended';
  } catch {
    return h.orphaned ? 'task_running' : 'running';
  }
}

/**
 * The submit activity's side of admission: a create Kling refused with 1303 (concurrency) is reported to the
 * bucket's entity, which shrinks its estimate of free slots (tasks created outside the project hold them).
 * Best effort: a lost report only delays the estimate until the next refusal.
 */
export async function reportSlotRefused(client: Client, slot: { entityWorkflowId: string; key: string } | undefined, err: unknown): Promise<void> {
  if (!slot || !isConcurrencyRefusal(err)) return;
  try {
    await client.workflow.getHandle(slot.entityWorkflowId).signal(slotRefusedSignal, { key: slot.key });
  } catch {
    // The entity is gone: nothing to correct.
  }
}

/** How often a refused holder asks its entity whether one of the other holders gave its slot back. */
export const SLOT_RELEASE_PROBE_MS = 250;

/**
 * After Kling refused a granted create with 1303: waits until one of the bucket's other holders gives its slot back
 * (a task of ours ended, so a Kling slot is free now) or `maxMs` passed, asking the entity's `slots` query every
 * `probeMs`. The refused holder keeps its slot meanwhile and the entity grants no one else (its capacity shrank), so
 * the retry goes to the slot that just freed instead of waiting out a fixed backoff while it stays unused; without a
 * release it retries no sooner than before, so a real account (whose other app's tasks run for minutes) sees no more
 * refused creates. `released: false` also when the entity cannot be asked (the caller keeps its fixed backoff).
 */
export async function awaitSlotRelease(
  client: Client,
  slot: { entityWorkflowId: string; key: string },
  options: { maxMs: number; probeMs?: number; sleep?: (ms: number) => Promise<void> },
): Promise<{ released: boolean; waitedMs: number }> {
  const startedAt = Date.now();
  const waited = () => Date.now() - startedAt;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const handle = client.workflow.getHandle(slot.entityWorkflowId);
  const holdersNow = async () => new Set((await handle.query(accountSlotsQuery)).holders.map((h) => h.key));
  let others: Set<string>;
  try {
    others = await holdersNow();
  } catch {
    return { released: false, waitedMs: waited() };
  }
  others.delete(slot.key);
  while (waited() < options.maxMs) {
    await sleep(Math.min(options.probeMs ?? SLOT_RELEASE_PROBE_MS, Math.max(options.maxMs - waited(), 1)));
    let holders: Set<string>;
    try {
      holders = await holdersNow();
    } catch {
      continue; // The entity is busy or restarting: ask again until the cap.
    }
    for (const key of others) if (!holders.has(key)) return { released: true, waitedMs: waited() };
  }
  return { released: false, waitedMs: waited() };
}

/** A create Kling refused with 1303 (the account's concurrency limit), as the submit activity's failure carries it. */
export function isConcurrencyRefusal(err: unknown): boolean {
  if (!(err instanceof ApplicationFailure)) return false;
  const details = err.details?.[0] as { code?: unknown } | undefined;
  return details?.code === 1303;
}
