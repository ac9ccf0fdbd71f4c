// Server-free unit test of the poll loop's backoff step (src/workflows/task-watch.ts uses it between status checks).
import { describe, expect, it } from 'vitest';
import { nextPollInterval } from '../../../src/workflows/poll-schedule.js';

describe('nextPollInterval', () => {
  it('grows by the coefficient, rounded to whole milliseconds, up to the cap', () => {
    const waits: number[] = [];
    let interval = 10_000;
    for (let i = 0; i < 6; i += 1) {
      waits.push(interval);
      interval = nextPollInterval(interval, 1.5, 60_000);
    }
    expect(waits).toEqual([10_000, 15_000, 22_500, 33_750, 50_625, 60_000]);
  });

  it('rounds to the nearest millisecond (timers take integers)', () => {
    expect(nextPollInterval(333, 1.5, 10_000)).toBe(500);
    expect(nextPollInterval(101, 1.2, 10_000)).toBe(121);
  });

  it('never exceeds the cap, even from above it, and a coefficient of 1 keeps the interval', () => {
    expect(nextPollInterval(90_000, 1.5, 60_000)).toBe(60_000);
    expect(nextPollInterval(5_000, 1, 60_000)).toBe(5_000);
  });
});
