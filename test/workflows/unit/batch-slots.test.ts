// Server-free unit tests of the batch's pure pieces: the budget pass before anything starts (admitWithinBudget)
// and the per-bucket concurrency slots (BucketSlots). The end-to-end batch tests (test/workflows/generate-batch.test.ts)
// check the same rules through a running workflow; these pin the arithmetic and the edge cases in milliseconds.
import { describe, expect, it } from 'vitest';
import type { BatchItemEstimate } from '../../../src/contract/batch.js';
import { admitWithinBudget, BucketSlots } from '../../../src/workflows/batch-slots.js';

const ok = (index: number, reservedCredits: number, bucket = 'video:kling-2.6'): BatchItemEstimate => ({
  ok: true,
  index,
  model: 'kling-2.6',
  bucket,
  estimatedCredits: reservedCredits,
  reservedCredits,
});
const invalid = (index: number): BatchItemEstimate => ({ ok: false, index, failureType: 'KlingValidationError', message: 'bad' });

describe('admitWithinBudget', () => {
  it('admits every valid item when there is no budget, and leaves invalid items to the caller', () => {
    const { admitted, skipped, reserved } = admitWithinBudget([ok(0, 35), invalid(1), ok(2, 70)], undefined);
    expect(admitted.map((e) => e.index)).toEqual([0, 2]);
    expect(skipped).toEqual([]);
    expect(reserved).toBe(105);
  });

  it('reserves in input order, skips an item that would exceed what is left with the numbers, and lets a later cheaper item fit', () => {
    const { admitted, skipped, reserved } = admitWithinBudget([ok(0, 40), ok(1, 50), ok(2, 20)], 70);
    expect(admitted.map((e) => e.index)).toEqual([0, 2]);
    expect(reserved).toBe(60);
    expect(skipped).toEqual([
      {
        index: 1,
        outcome: 'skipped',
        reason: 'estimate of 50 credits exceeds the 30 credits left of the batch budget (maxCredits 70)',
        estimatedCredits: 50,
        remainingCredits: 30,
        maxCredits: 70,
      },
    ]);
  });

  it('admits an item that uses exactly what is left, despite floating-point sums (0.1 + 0.2 against 0.3)', () => {
    const { admitted, skipped, reserved } = admitWithinBudget([ok(0, 0.1), ok(1, 0.2), ok(2, 0.001)], 0.3);
    expect(admitted.map((e) => e.index)).toEqual([0, 1]);
    expect(reserved).toBe(0.3);
    expect(skipped.map((s) => s.index)).toEqual([2]);
  });

  it('skips everything with a zero budget', () => {
    const { admitted, skipped, reserved } = admitWithinBudget([ok(0, 1), ok(1, 2)], 0);
    expect(admitted).toEqual([]);
    expect(skipped.map((s) => [s.index, s.outcome])).toEqual([
      [0, 'skipped'],
      [1, 'skipped'],
    ]);
    expect(reserved).toBe(0);
  });
});

describe('BucketSlots', () => {
  it('caps each bucket at its own limit, else at the batch concurrency, and counts the peak', () => {
    const slots = new BucketSlots({ concurrency: 2, bucketConcurrency: { 'video:kling-v3-omni': 1 } });
    expect(slots.cap('video:kling-2.6')).toBe(2);
    expect(slots.cap('video:kling-v3-omni')).toBe(1);

    expect(slots.tryTake('video:kling-v3-omni')).toBe(true);
    expect(slots.tryTake('video:kling-v3-omni')).toBe(false);
    expect(slots.tryTake('video:kling-2.6')).toBe(true);
    expect(slots.tryTake('video:kling-2.6')).toBe(true);
    expect(slots.tryTake('video:kling-2.6')).toBe(false);
    expect(slots.peak).toBe(2);
    expect(slots.snapshot(['video:kling-2.6', 'video:kling-v3-omni', 'unused'])).toEqual({
      'video:kling-2.6': { inFlight: 2, cap: 2 },
      'video:kling-v3-omni': { inFlight: 1, cap: 1 },
      unused: { inFlight: 0, cap: 2 },
    });
  });

  it('gives a released slot back, and a release of an empty bucket never goes below zero', () => {
    const slots = new BucketSlots({ concurrency: 1 });
    expect(slots.tryTake('a')).toBe(true);
    expect(slots.tryTake('a')).toBe(false);
    slots.release('a');
    expect(slots.tryTake('a')).toBe(true);
    slots.release('a');
    slots.release('a');
    expect(slots.snapshot(['a'])).toEqual({ a: { inFlight: 0, cap: 1 } });
    expect(slots.tryTake('a')).toBe(true);
    expect(slots.tryTake('a')).toBe(false);
    expect(slots.peak).toBe(1);
  });
});
