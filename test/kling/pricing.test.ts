import { describe, expect, it, vi } from 'vitest';
import {
  assertWithinBudget,
  createModelCatalog,
  createPricingTable,
  estimateCredits,
  KlingBudgetExceededError,
  PriceNotFoundError,
  PricingTable,
  resolveRequest,
} from '../../src/kling/index.js';

const catalog = createModelCatalog();
const resolve = (r: object) =>
  resolveRequest(
    { kind: 'text-to-video', prompt: 'A red fox trots through snow', ...r },
    { catalog, availableStandards: ['new', 'legacy'], preferredStandard: 'new' },
  );

describe('estimateCredits', () => {
  it('without a table, builds the default table once and shares it (issue 16: no per-estimate parse of every row)', () => {
    const request = resolve({ model: 'kling-2.6', resolution: '1080p' });
    estimateCredits(request); // the default table exists from here on
    const parse = vi.spyOn(PricingTable, 'parse');
    try {
      const estimates = Array.from({ length: 3 }, () => estimateCredits(request));
      expect(parse).not.toHaveBeenCalled();
      // Same estimate as with a freshly built default table.
      for (const estimate of estimates) expect(estimate).toEqual(estimateCredits(request, createPricingTable()));
    } finally {
      parse.mockRestore();
    }
  });

  it('includes the audio multiplier (seed pitfall 9): kling-2.6 5 s at 1080p, 25 credits silent, 50 with audio', () => {
    const silent = estimateCredits(resolve({ model: 'kling-2.6', resolution: '1080p' }));
    const loud = estimateCredits(resolve({ model: 'kling-2.6', audio: true }));
    expect(silent.credits).toBe(25);
    expect(loud.credits).toBe(50);
    expect(loud.audioMultiplier).toBe(2);
    expect(loud.units).toBe(5);
  });

  it('prices voice control separately where Kling lists it (kling-2.6: 1.2 units/s) and refuses to guess elsewhere', () => {
    const voiced = estimateCredits(resolve({ model: 'kling-2.6', audio: true, voices: [{ voiceId: 'v1' }], standard: 'legacy' }));
    expect(voiced).toMatchObject({ units: 6, credits: 60 });
    expect(voiced.audioMultiplier).toBe(2.4);
    expect(() => estimateCredits(resolve({ model: 'kling-3.0', audio: true, voices: [{ voiceId: 'v1' }], standard: 'legacy' }))).toThrow(
      PriceNotFoundError,
    );
  });

  it('prices per second from the official table, whatever the wire standard', () => {
    expect(estimateCredits(resolve({ model: 'kling-3.0', duration: 10, resolution: '1080p' })).units).toBe(8);
    expect(estimateCredits(resolve({ model: 'kling-v2-5-turbo', standard: 'legacy', mode: 'std' })).units).toBe(1.5);
    const turbo = estimateCredits(resolve({ model: 'kling-3.0-turbo', duration: 3 }));
    expect(turbo.units).toBe(2.4); // observed live: 3 s / 720p billed 2.4
    expect(turbo.audio).toBe(true);
  });

  it('prices legacy-only models per task from the seed reference: 5 s standard = 10 credits', () => {
    const estimate = estimateCredits(resolve({ model: 'kling-v1-6', standard: 'legacy' }));
    expect(estimate).toMatchObject({ credits: 10, basis: 'per-task', confidence: 'inferred' });
    expect(estimateCredits(resolve({ model: 'kling-v1-6', mode: 'pro', duration: 10 })).credits).toBe(70);
  });

  it('applies the per-task audio multiplier (default 5×) to a row without an audio price', () => {
    const table = createPricingTable({
      rows: [{ model: 'kling-2.6', resolution: '1080p', audio: false, basis: 'per-task', duration: 5, units: 1, confidence: 'seed', source: 'test' }],
    });
    const noPerSecond = { ...table, rows: table.rows.filter((r) => !(r.model === 'kling-2.6' && r.basis === 'per-second')) };
    const estimate = estimateCredits(resolve({ model: 'kling-2.6', audio: true }), noPerSecond);
    expect(estimate.credits).toBe(50);
    expect(estimate.audioMultiplier).toBe(5);
  });

  it('is overridable from configuration', () => {
    const table = createPricingTable({
      creditsPerUnit: 1,
      rows: [{ model: 'kling-2.6', resolution: '720p', audio: false, basis: 'per-second', units: 2, confidence: 'official', source: 'contract' }],
    });
    expect(estimateCredits(resolve({ model: 'kling-2.6' }), table).credits).toBe(10);
  });

  it('refuses to guess a missing price', () => {
    const table = createPricingTable();
    const empty = { ...table, rows: [] };
    expect(() => estimateCredits(resolve({ model: 'kling-2.6' }), empty)).toThrow(PriceNotFoundError);
  });

  it('guards a budget, naming maxCredits', () => {
    const estimate = estimateCredits(resolve({ model: 'kling-2.6', audio: true }));
    expect(() => assertWithinBudget(estimate, 49)).toThrow(KlingBudgetExceededError);
    expect(() => assertWithinBudget(estimate, 49)).toThrow(/maxCredits/);
    expect(() => assertWithinBudget(estimate, 50)).not.toThrow();
    expect(() => assertWithinBudget(estimate, undefined)).not.toThrow();
  });
});
