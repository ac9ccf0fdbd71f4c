import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import {
  accountSlotsQuery,
  orphanSlotSignal,
  releaseSlotSignal,
  requestSlotUpdate,
  slotGrantedSignal,
  slotRefusedSignal,
  emptySlotsState,
  type AccountSlotsState,
  type SlotHolder,
} from '../contract/slot-messages.js';
import { klingMetrics } from './metrics-sink.js';
import { SlotTable } from './slot-table.js';

type Activities = ReturnType<typeof createActivities>;

const { checkSlotHolders } = proxyActivities<Activities>({
  summary: 'check that slot holders (workflows, or their Kling tasks) still exist',
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

/** Continue-as-new well before Temporal's history limits (also when the server suggests it); the state may set fewer. */
const MAX_HISTORY_EVENTS = 4_000;
/** With nothing held or queued, end after this long without a message (the next request starts it again). */
const IDLE_MS = 10 * 60 * 1000;

/**
 * Account-wide slot admission for one concurrency bucket (docs/slots.md): every generation of the account asks
 * here (`requestSlot` Update-with-Start, from an activity) before its paid create and gives the slot back
 * (`releaseSlot`) when Kling reports its task ended; grants go to the requester as a `slotGranted` signal, in
 * priority then FIFO order. A run that ends while its task may still run hands the slot over (`orphanSlot`): it
 * stays taken until Kling reports the task ended. Leases: while it holds slots, the entity checks every
 * `leaseCheckMs` (one activity) that each holder's run is still open, and otherwise whether its Kling task still
 * runs; a slot whose run and task are gone (terminated, reset) comes back. A create Kling refused with 1303
 * (`slotRefused`, from the submit activity) shrinks the estimate of free slots (tasks created outside).
 * Continues as new with its state; ends by itself when idle.
 */
export async function accountSlots(state: AccountSlotsState = emptySlotsState('unknown')): Promise<void> {
  // A copy: the input is the recorded start argument (structuredClone does not exist in the workflow sandbox).
  const table = new SlotTable(JSON.parse(JSON.stringify(state)) as AccountSlotsState);
  const s = table.state;
  let changed = false;
  let nextCheckAt = Date.now() + s.leaseCheckMs;

  /** Grant signals sent from the Update handler: awaited before continue-as-new so none is left behind. */
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  setHandler(
    requestSlotUpdate,
    (r) => {
      changed = true;
      const wasEmpty = s.holders.length === 0;
      table.request(r, Date.now());
      // Granted at once: the answer says so, no signal needed (other waiters granted here get theirs).
      for (const h of table.grant(Date.now())) if (h.key !== r.key) track(tell(h));
      if (wasEmpty) nextCheckAt = Date.now() + s.leaseCheckMs;
      return table.answer(r.key);
    },
    {
      validator: (r) => {
        if (!r || typeof r.key !== 'string' || !r.key) throw new Error('requestSlot: key is required');
        if (!(Number.isInteger(r.limit) && r.limit >= 1)) throw new Error('requestSlot: limit must be an integer >= 1');
        if (!(r.leaseCheckMs > 0)) throw new Error('requestSlot: leaseCheckMs must be a positive number');
        if (!r.task || typeof r.task.externalTaskId !== 'string') throw new Error('requestSlot: task.externalTaskId is required');
      },
    },
  );
  setHandler(releaseSlotSignal, ({ key }) => {
    changed = true;
    table.release(key);
  });
  setHandler(orphanSlotSignal, ({ key, task }) => {
    changed = true;
    table.orphan(key, task);
  });
  setHandler(slotRefusedSignal, ({ key }) => {
    changed = true;
    table.refused(key, Date.now());
    log.warn('Kling refused a create with 1303 although a slot was free here: tasks created outside the project hold slots', {
      bucket: s.bucket,
      key,
      outsideEstimate: table.outside(Date.now()),
    });
  });
  setHandler(accountSlotsQuery, () => ({ ...s, capacity: table.capacity(Date.now()) }));

  /** The signal that hands a slot over; a requester that is gone (closed, terminated) frees it again. */
  async function tell(h: SlotHolder): Promise<void> {
    try {
      await getExternalWorkflowHandle(h.workflowId, h.runId).signal(slotGrantedSignal, { key: h.key });
    } catch (err) {
      log.info('a slot requester is gone; its slot comes back', { key: h.key, error: err instanceof Error ? err.message : String(err) });
      table.release(h.key);
      changed = true;
    }
  }

  let reported = '';
  const report = () => {
    const now = `${s.holders.length}/${s.queue.length}/${table.capacity(Date.now())}`;
    if (now === reported) return;
    reported = now;
    klingMetrics.accountSlots({
      bucket: s.bucket,
      inUse: s.holders.length,
      waiting: s.queue.length,
      capacity: table.capacity(Date.now()),
      limit: s.limit,
    });
  };

  for (;;) {
    changed = false;
    await Promise.all(table.grant(Date.now()).map(tell));
    report();
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (s.continueAsNewAfterEvents ?? MAX_HISTORY_EVENTS)) {
      await condition(allHandlersFinished);
      await Promise.all([...pending]);
      await continueAsNew<typeof accountSlots>(s);
    }
    if (s.holders.length > 0 && Date.now() >= nextCheckAt) {
      await checkLeases();
      nextCheckAt = Date.now() + s.leaseCheckMs;
      continue;
    }
    // Timers only while there is something to watch: the next lease check, the outside estimate's decay.
    const wakeAt = [s.holders.length > 0 ? nextCheckAt : undefined, s.queue.length > 0 ? table.nextDecayAt(Date.now()) : undefined].filter(
      (t): t is number => t !== undefined,
    );
    const timeout = wakeAt.length > 0 ? Math.max(Math.min(...wakeAt) - Date.now(), 1) : IDLE_MS;
    const woke = await condition(() => changed, timeout);
    if (!woke && s.holders.length === 0 && s.queue.length === 0) {
      await condition(allHandlersFinished);
      if (s.holders.length === 0 && s.queue.length === 0 && !changed) return;
    }
  }

  /** The lease: holders whose run is closed and whose Kling task is not running (or was never created) free their slot. */
  async function checkLeases(): Promise<void> {
    const holders = s.holders.map((h) => ({ key: h.key, workflowId: h.workflowId, runId: h.runId, task: h.task, orphaned: h.orphaned === true }));
    let verdicts: Awaited<ReturnType<typeof checkSlotHolders>>;
    try {
      verdicts = await checkSlotHolders({ holders });
    } catch (err) {
      log.warn('checking slot holders failed; trying again at the next lease check', { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    for (const v of verdicts) {
      if (v.verdict === 'ended') table.reclaim(v.key);
      else if (v.verdict === 'task_running') {
        const h = s.holders.find((x) => x.key === v.key);
        if (h) h.orphaned = true;
      }
    }
  }
}
