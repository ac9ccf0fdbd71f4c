/**
 * Concurrency slots (NEW §6, REF §6.1): a task holds a slot from `submitted` until it is terminal (failures
 * included); only creates are limited; a video task takes one slot.
 */
import { concurrencyExceeded } from './errors.js';
import type { TaskSpec } from './task-spec.js';
import { isTerminal, type SimTask } from './tasks.js';

export type ConcurrencyBucketMode = 'model' | 'packType';

/** Every simulated task draws on the video pack (NEW §6 "resource package type"). */
const PACK_TYPE = 'video';

/** The counter a task draws on: (model id, pack type) or the pack type alone. The account is implicit: one per simulator. */
export function concurrencyBucket(spec: TaskSpec, mode: ConcurrencyBucketMode): string {
  return mode === 'model' ? `${PACK_TYPE}:${spec.model}` : PACK_TYPE;
}

/** Throws 429/1303 when the bucket of `spec` is full. `tasks` must already be advanced to now. */
export function assertSlotAvailable(tasks: Iterable<SimTask>, spec: TaskSpec, limit: number, mode: ConcurrencyBucketMode): void {
  const bucket = concurrencyBucket(spec, mode);
  let active = 0;
  for (const task of tasks) {
    if (!isTerminal(task.status) && concurrencyBucket(task.spec, mode) === bucket) active += 1;
  }
  if (active >= limit) throw concurrencyExceeded();
}
