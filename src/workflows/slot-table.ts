import type { AccountSlotsState, SlotAnswer, SlotHolder, SlotRequest, SlotTask, SlotWaiter } from '../contract/slot-messages.js';

/** The outside estimate loses one task per this long: a slot taken by another app is probed again, one create at a time. */
export const OUTSIDE_DECAY_MS = 30_000;

/**
 * The slot bookkeeping of one bucket, pure and deterministic (the `accountSlots` workflow feeds it messages and
 * the clock): holders, a FIFO queue with priorities, and an estimate of the slots tasks created outside the
 * project hold. Grants never exceed `limit - outside`; at least one slot always stays grantable, so a wrong
 * estimate slows the bucket down but never stops it.
 */
export class SlotTable {
  constructor(readonly state: AccountSlotsState) {}

  /** Tasks created outside the project that the estimate still counts at `now` (decayed). */
  outside(now: number): number {
    const { count, at } = this.state.outside;
    if (count <= 0) return 0;
    return Math.max(0, count - Math.floor((now - at) / OUTSIDE_DECAY_MS));
  }

  /** Slots that may be held at `now`: the limit minus the outside estimate, at least 1. */
  capacity(now: number): number {
    return Math.max(1, this.state.limit - this.outside(now));
  }

  /** When the outside estimate next decays (ms), or undefined when there is none. */
  nextDecayAt(now: number): number | undefined {
    if (this.outside(now) === 0) return undefined;
    const { at } = this.state.outside;
    return at + (Math.floor((now - at) / OUTSIDE_DECAY_MS) + 1) * OUTSIDE_DECAY_MS;
  }

  /**
   * A request: a known key gets the answer it would get now (a retried activity); a new one joins the queue.
   * Call grant() next: the answer says `granted` only when the slot was given at once.
   */
  request(r: SlotRequest, now: number): SlotAnswer {
    this.state.limit = r.limit;
    this.state.leaseCheckMs = r.leaseCheckMs;
    // The same key from another run of the workflow (a reset keeps the first run id the key is made of): that run
    // is the requester now, so grants and lease checks follow it.
    const known = this.#holder(r.key) ?? this.#waiter(r.key);
    if (known && known.runId !== r.runId) {
      known.workflowId = r.workflowId;
      known.runId = r.runId;
      if ('orphaned' in known) delete known.orphaned;
    }
    if (!known) {
      const waiter: SlotWaiter = {
        key: r.key,
        workflowId: r.workflowId,
        runId: r.runId,
        task: r.task,
        priority: r.priority,
        since: now,
        seq: ++this.state.seq,
      };
      this.state.queue.push(waiter);
      this.state.queue.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    }
    return this.answer(r.key);
  }

  /** What `key` would hear now: granted, or its place in the queue. */
  answer(key: string): SlotAnswer {
    const { limit, holders } = this.state;
    if (this.#holder(key)) return { granted: true, position: 0, holders: holders.length, limit };
    return { granted: false, position: this.state.queue.findIndex((w) => w.key === key) + 1, holders: holders.length, limit };
  }

  /** Moves waiters to holders while there is room; returns the new holders (their requesters get a signal). */
  grant(now: number): SlotHolder[] {
    const granted: SlotHolder[] = [];
    while (this.state.queue.length > 0 && this.state.holders.length < this.capacity(now)) {
      const w = this.state.queue.shift()!;
      const holder: SlotHolder = { key: w.key, workflowId: w.workflowId, runId: w.runId, task: w.task, since: now };
      this.state.holders.push(holder);
      this.state.granted++;
      granted.push(holder);
    }
    return granted;
  }

  /** The slot (or the place in the queue) of `key` is given back. False when the key was unknown. */
  release(key: string): boolean {
    const h = this.state.holders.findIndex((x) => x.key === key);
    if (h >= 0) {
      this.state.holders.splice(h, 1);
      return true;
    }
    const w = this.state.queue.findIndex((x) => x.key === key);
    if (w >= 0) this.state.queue.splice(w, 1);
    return w >= 0;
  }

  /** The run of `key` ended with its Kling task possibly still running: the slot stays until Kling says it ended. */
  orphan(key: string, task: SlotTask): void {
    const holder = this.#holder(key);
    if (holder) {
      holder.orphaned = true;
      holder.task = task;
    } else this.release(key); // Still queued: nothing was created.
  }

  /**
   * Kling refused `key`'s create with 1303 although this table had a slot for it: at least `limit` tasks run,
   * and only the holders not refused can be ours, so tasks created outside hold the rest. The estimate only
   * grows here (repeated refusals of the same holders are one observation) and decays with time
   * (OUTSIDE_DECAY_MS). Counted conservatively: a refused holder whose retry has since created its task still
   * counts as taskless until it gives its slot back, which can only under-use slots.
   */
  refused(key: string, now: number): void {
    this.state.refused++;
    const holder = this.#holder(key);
    if (!holder) return;
    holder.refused = true;
    const ours = this.state.holders.filter((h) => !h.refused).length;
    const seen = Math.min(this.state.limit - 1, Math.max(0, this.state.limit - ours));
    if (seen > this.outside(now)) this.state.outside = { count: seen, at: now };
  }

  /** A holder whose run and task are gone (lease check): its slot comes back. */
  reclaim(key: string): void {
    if (this.release(key)) this.state.reclaimed++;
  }

  #holder(key: string): SlotHolder | undefined {
    return this.state.holders.find((x) => x.key === key);
  }

  #waiter(key: string): SlotWaiter | undefined {
    return this.state.queue.find((x) => x.key === key);
  }
}
