// The schedule a generation gets without `options.poll` (what users get): a finished video is noticed within 10 s of
// its end, whenever it ends (issue 16: the median video done within generation + 10 s).
import { describe, expect, it } from 'vitest';
import { GenerateVideoInput } from '../../src/contract/generation.js';
import { nextPollInterval } from '../../src/workflows/poll-schedule.js';

const REQUEST = { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A red fox trots through fresh snow at dawn' };

describe('the default poll schedule', () => {
  it('is 5 s, growing 1.5x, at most 10 s', () => {
    const { options } = GenerateVideoInput.parse({ request: REQUEST });
    expect(options.poll).toEqual({ initialInterval: 5_000, backoffCoefficient: 1.5, maxInterval: 10_000 });
  });

  it('checks at least every 10 s: a task ending at any time up to 10 minutes is seen within 10 s', () => {
    const { poll } = GenerateVideoInput.parse({ request: REQUEST }).options;
    const checks: number[] = [];
    for (let at = 0, wait = poll.initialInterval; at < 600_000; wait = nextPollInterval(wait, poll.backoffCoefficient, poll.maxInterval)) {
      at += wait;
      checks.push(at);
    }
    for (let end = 0; end < 600_000; end += 250) {
      const seen = checks.find((c) => c >= end)!;
      expect(seen - end, `a task ending at ${end} ms`).toBeLessThanOrEqual(10_000);
    }
  });
});
