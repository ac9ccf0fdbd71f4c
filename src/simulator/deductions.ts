/**
 * The unit ledger behind `POST /account/billing/package` (NEW §7.2): one record per deduction from the video
 * pack, kept in the order they happened. Written by the core when a task is charged.
 */
import type { SimTask } from './tasks.js';

export interface DeductionRecord {
  /** Position in the ledger (ascending); with `deductionTime` it orders pages and anchors cursors. */
  readonly seq: number;
  readonly taskId: string;
  /** NEW §7.2 `api_key_name`: the name of the key that created the task (see `apiKeyName`). */
  readonly apiKeyName: string;
  readonly task: SimTask;
  /** When the units were deducted (ms). */
  readonly deductionTime: number;
  readonly unitBeforeDeduction: number;
  readonly deductionAmount: number;
  readonly unitAfterDeduction: number;
}

export class DeductionLedger {
  #records: DeductionRecord[] = [];

  add(record: Omit<DeductionRecord, 'seq'>): DeductionRecord {
    const entry = { ...record, seq: this.#records.length + 1 };
    this.#records.push(entry);
    return entry;
  }

  /** Every record, oldest first. */
  all(): readonly DeductionRecord[] {
    return this.#records;
  }

  clear(): void {
    this.#records = [];
  }
}

/**
 * The `api_key_name` of a caller. Kling reports the name given to the key in its console; the simulator's keys
 * have none, so an API key is named by its position in `apiKeys` (`api-key-1`, …) and an AK/SK caller by its
 * access key (an identifier, not a secret). Unknown (unauthenticated) callers are `unknown`.
 */
export function apiKeyName(caller: { readonly kind: 'apiKey' | 'jwt'; readonly principal: string } | undefined, apiKeys: readonly string[]): string {
  if (caller === undefined) return 'unknown';
  if (caller.kind === 'jwt') return caller.principal;
  const index = apiKeys.indexOf(caller.principal);
  return index === -1 ? 'unknown' : `api-key-${index + 1}`;
}
