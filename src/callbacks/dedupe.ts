/**
 * Which callbacks are worth a signal. Kling's retry policy is undocumented (docs/reference/kling-api-new-standard.md §4), so
 * the receiver assumes at-least-once, unordered delivery, and that a callback may run ahead of Kling's own task
 * query (a `succeeded` the query does not confirm yet). So:
 *
 * - a repeated `webhook-id` is a redelivery of one message and wakes nobody: the first copy already did;
 * - a callback announcing an end (`succeeded`, `failed`) is never dropped for its status. The receiver cannot
 *   know whether the workflow's query confirmed an earlier one; if it did not (a premature or forged callback),
 *   the next one may be the genuine completion, and dropping it would leave the workflow to its slow fallback poll;
 * - a progress report (`submitted`, `processing`) repeating or behind a status already delivered for the task is
 *   dropped: since 'kling-end-hints-v1' it wakes no workflow anyway (see TaskWatch.onUpdate), so dropping it
 *   can delay nothing.
 *
 * Memory is bounded: the oldest entries are forgotten first, which at worst costs one extra (harmless) wake-up.
 */
import type { TaskStatus } from '../kling/index.js';

/** Lifecycle order; both terminal statuses rank last (docs/reference/kling-api.md §4.3). */
const RANK: Record<TaskStatus, number> = { submitted: 0, processing: 1, succeeded: 2, failed: 2 };

const announcesEnd = (status: TaskStatus): boolean => status === 'succeeded' || status === 'failed';

export type DedupeVerdict = 'new' | 'duplicate' | 'out-of-order';

export class CallbackDeduper {
  readonly #webhookIds = new Map<string, true>();
  readonly #lastStatus = new Map<string, TaskStatus>();

  /** `maxEntries` per map (default 50,000: a few MB). */
  constructor(private readonly maxEntries = 50_000) {}

  /** Classifies a callback without remembering it (see `remember`, called once the signal was delivered). */
  check(webhookId: string | undefined, taskId: string, status: TaskStatus): DedupeVerdict {
    if (webhookId !== undefined && this.#webhookIds.has(webhookId)) return 'duplicate';
    if (announcesEnd(status)) return 'new';
    const last = this.#lastStatus.get(taskId);
    if (last === undefined) return 'new';
    if (last === status) return 'duplicate';
    return RANK[status] < RANK[last] ? 'out-of-order' : 'new';
  }

  /** Records a callback that was acted on (or that needs no action again). */
  remember(webhookId: string | undefined, taskId: string, status: TaskStatus): void {
    if (webhookId !== undefined) bounded(this.#webhookIds, webhookId, true, this.maxEntries);
    const last = this.#lastStatus.get(taskId);
    if (last === undefined || RANK[status] > RANK[last]) bounded(this.#lastStatus, taskId, status, this.maxEntries);
  }
}

/** Insert-or-refresh at the young end of the Map's insertion order, evicting the oldest past `max`. */
function bounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}
