import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';

/**
 * Search-attribute updates, merged where history allows: every upsert is a command and an event of its own, so
 * updates that would be followed by another in the same workflow task (the model before the next phase, the task
 * id before `generating`, a terminal Kling status before `rehosting`) wait for it and go out as one upsert.
 * Without merging (`merge: false`, histories recorded before WAIT_IN_ACTIVITY_PATCH) every update goes out at
 * once, in the order it was always issued, so those histories replay.
 */
export class SearchAttributeBatch {
  #pending: SearchAttributeUpdatePair[] = [];

  constructor(private readonly merge: boolean) {}

  /** An update the next `flush` may carry (at once without merging). Always followed by a flush in the same task. */
  defer(pairs: SearchAttributeUpdatePair[]): void {
    if (this.merge) this.#pending.push(...pairs);
    else upsertSearchAttributes(pairs);
  }

  /** Upserts `pairs` with whatever was deferred, as one command; of two values for one key, the later wins. */
  flush(pairs: SearchAttributeUpdatePair[] = []): void {
    const byKey = new Map<string, SearchAttributeUpdatePair>();
    for (const pair of [...this.#pending, ...pairs]) {
      byKey.delete(pair.key.name);
      byKey.set(pair.key.name, pair);
    }
    this.#pending = [];
    if (byKey.size > 0) upsertSearchAttributes([...byKey.values()]);
  }
}
