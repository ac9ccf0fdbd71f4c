import type { BatchItemEstimate, BatchItemOutcome, BatchOptions } from '../contract/batch.js';

type Admitted = Extract<BatchItemEstimate, { ok: true }>;

/**
 * The budget pass, before anything starts: items in input order reserve their worst case (`reservedCredits`)
 * against `maxCredits`; an item that would exceed what is left is skipped with the numbers. Later, cheaper items
 * may still fit. Pure and deterministic.
 */
export function admitWithinBudget(
  estimates: BatchItemEstimate[],
  maxCredits: number | undefined,
): { admitted: Admitted[]; skipped: BatchItemOutcome[]; reserved: number } {
  const admitted: Admitted[] = [];
  const skipped: BatchItemOutcome[] = [];
  let reserved = 0;
  for (const e of estimates) {
    if (!e.ok) continue;
    const left = maxCredits === undefined ? Infinity : round(maxCredits - reserved);
    if (maxCredits !== undefined && e.reservedCredits > left + 1e-9) {
      skipped.push({
        index: e.index,
        outcome: 'skipped',
        reason: `estimate of ${e.reservedCredits} credits exceeds the ${left} credits left of the batch budget (maxCredits ${maxCredits})`,
        estimatedCredits: e.reservedCredits,
        remainingCredits: left,
        maxCredits,
      });
      continue;
    }
    reserved = round(reserved + e.reservedCredits);
    admitted.push(e);
  }
  return { admitted, skipped, reserved };
}

/** Unfinished items per concurrency bucket, never above the bucket's cap. */
export class BucketSlots {
  readonly #inFlight = new Map<string, number>();
  peak = 0;

  constructor(private readonly options: Pick<BatchOptions, 'concurrency' | 'bucketConcurrency'>) {}

  cap(bucket: string): number {
    return this.options.bucketConcurrency?.[bucket] ?? this.options.concurrency;
  }

  tryTake(bucket: string): boolean {
    const n = this.#inFlight.get(bucket) ?? 0;
    if (n >= this.cap(bucket)) return false;
    this.#inFlight.set(bucket, n + 1);
    this.peak = Math.max(this.peak, n + 1);
    return true;
  }

  release(bucket: string): void {
    this.#inFlight.set(bucket, Math.max(0, (this.#inFlight.get(bucket) ?? 0) - 1));
  }

  snapshot(buckets: Iterable<string>): Record<string, { inFlight: number; cap: number }> {
    const out: Record<string, { inFlight: number; cap: number }> = {};
    for (const b of buckets) out[b] = { inFlight: this.#inFlight.get(b) ?? 0, cap: this.cap(b) };
    return out;
  }
}

export const round = (n: number) => Math.round(n * 1000) / 1000;
