import { condition, getExternalWorkflowHandle, log, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { NON_RETRYABLE_FAILURES } from '../contract/failure-types.js';
import type { GenerationPlan, GenerationProgress } from '../contract/generation.js';
import {
  accountSlotsWorkflowId,
  orphanSlotSignal,
  releaseSlotSignal,
  slotGrantedSignal,
  type SlotAnswer,
  type SlotTask,
} from '../contract/slot-messages.js';

type Activities = ReturnType<typeof createActivities>;

const { requestAccountSlot } = proxyActivities<Activities>({
  summary: "ask the account's slot entity for a concurrency slot",
  // The Update answers in milliseconds: a worker that died mid-call is noticed soon.
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});

/**
 * Runs recorded before account-wide slot admission never asked for a slot. Asked only when the plan carries
 * `slots` (recorded data: plans of those runs never do), so histories without it record no marker.
 */
export const ACCOUNT_SLOTS_PATCH = 'kling-account-slots-v1';

/**
 * A generation's side of account-wide slot admission (docs/slots.md): before each paid create it asks the
 * bucket's `accountSlots` entity for a slot (one activity) and, when none is free, waits for the `slotGranted`
 * signal; when Kling reports the task ended it gives the slot back (one signal). A run that ends while its task
 * may still run hands the slot over instead (`orphanSlot`): the entity keeps it until Kling reports the end.
 * About six history events per submission; none when the plan has no `slots`.
 */
export class SlotAdmission {
  readonly #granted = new Set<string>();
  /** Keys asked for and not yet given back, with the task each is for. */
  readonly #open = new Map<string, SlotTask>();
  #on: boolean | undefined;
  #entity: string | undefined;
  #view: Omit<NonNullable<GenerationProgress['slot']>, 'waitedMs'> | undefined;
  #waitedMs = 0;
  #waitingSince: number | undefined;

  constructor(private readonly taskQueue: string) {
    setHandler(slotGrantedSignal, ({ key }) => {
      this.#granted.add(key);
    });
  }

  /** For the `progress` query: the bucket, the state, the place in the queue and the wait so far. */
  get view(): GenerationProgress['slot'] {
    if (!this.#view) return undefined;
    const waiting = this.#waitingSince === undefined ? 0 : Date.now() - this.#waitingSince;
    return { ...this.#view, waitedMs: this.#waitedMs + waiting };
  }

  /** The entity workflow to tell about a refused create (the submit activity's `slot` argument), when admission applies. */
  refusalTarget(key: string): { entityWorkflowId: string; key: string } | undefined {
    return this.#entity && this.#open.has(key) ? { entityWorkflowId: this.#entity, key } : undefined;
  }

  /**
   * Holds a slot of the plan's bucket for `key` before the create, waiting in the entity's queue when none is
   * free (`onWait` announces the queue position). A no-op when the plan has no `slots`.
   */
  async acquire(plan: GenerationPlan, key: string, task: SlotTask, onWait: (answer: SlotAnswer) => void): Promise<void> {
    const slots = plan.slots;
    if (slots === undefined || !(this.#on ??= patched(ACCOUNT_SLOTS_PATCH))) return;
    this.#entity = accountSlotsWorkflowId(this.taskQueue, slots.bucket);
    // Opened before the call: a cancellation mid-request still withdraws whatever the entity recorded.
    this.#open.set(key, task);
    const answer = await requestAccountSlot({
      taskQueue: this.taskQueue,
      bucket: slots.bucket,
      request: { key, priority: slots.priority ?? 0, limit: slots.limit, leaseCheckMs: slots.leaseCheckMs, task },
    });
    const base = { bucket: slots.bucket, position: answer.position, holders: answer.holders, limit: answer.limit };
    if (!answer.granted && !this.#granted.has(key)) {
      this.#view = { ...base, state: 'waiting' };
      this.#waitingSince = Date.now();
      onWait(answer);
      try {
        await condition(() => this.#granted.has(key));
      } finally {
        this.#waitedMs += Date.now() - this.#waitingSince;
        this.#waitingSince = undefined;
      }
    }
    this.#view = { ...base, position: 0, state: 'holding' };
  }

  /** Kling reported the task of `key` ended: the slot goes back. */
  async release(key: string): Promise<void> {
    if (!this.#open.delete(key)) return;
    if (this.#view) this.#view = { ...this.#view, state: 'released' };
    await this.#signal((entity) => getExternalWorkflowHandle(entity).signal(releaseSlotSignal, { key }));
  }

  /**
   * At the end of the run: every slot still open goes back, or, when its Kling task may still run
   * (`stillRunning` names it), is handed over to the entity until Kling reports the task ended.
   */
  async closeAll(stillRunning: SlotTask | undefined): Promise<void> {
    for (const [key, task] of [...this.#open]) {
      this.#open.delete(key);
      const running = stillRunning && stillRunning.externalTaskId === task.externalTaskId ? stillRunning : undefined;
      await this.#signal((entity) =>
        running
          ? getExternalWorkflowHandle(entity).signal(orphanSlotSignal, { key, task: running })
          : getExternalWorkflowHandle(entity).signal(releaseSlotSignal, { key }),
      );
    }
    if (this.#view) this.#view = { ...this.#view, state: 'released' };
  }

  async #signal(send: (entity: string) => Promise<void>): Promise<void> {
    if (!this.#entity) return;
    try {
      await send(this.#entity);
    } catch (err) {
      // The entity is gone (terminated by an operator): its next run starts empty.
      log.warn('could not give the account slot back', { slotsWorkflowId: this.#entity, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
