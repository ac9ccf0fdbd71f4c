// The batch watcher's lookup timing (LookupSchedule), server-free on a simulated clock: no real time is measured.
import { describe, expect, it } from 'vitest';
import { LookupSchedule } from '../../src/activities/batch-lookup-schedule.js';
import type { KlingTask } from '../../src/kling/index.js';

const task = (id: string, status: KlingTask['status'], createdAt: number, updatedAt = createdAt): KlingTask => ({
  taskId: `t-${id}`,
  externalTaskId: id,
  standard: 'new',
  kind: 'text-to-video',
  status,
  createdAt,
  updatedAt,
  videos: [],
});

/**
 * A batch of `n` items, `slots` account slots, every generation `generationMs` long, the batch's own concurrency
 * twice the slots (started items wait for a slot, tracked but not created). An item whose end a lookup saw gives its
 * slot back, and the next waiting item creates `handoverMs` later. The watcher looks at the tracked list every second
 * (simulated) and looks the tasks up when the schedule says so.
 */
function simulate(o: { n: number; slots: number; generationMs: number; intervalMs: number; handoverMs: number }) {
  const schedule = new LookupSchedule({ intervalMs: o.intervalMs });
  const createdAt = new Map<string, number>();
  const noticedAt = new Map<string, number>();
  const ids = Array.from({ length: o.n }, (_, i) => `item-${i}`);
  let started = 0;
  let holding = 0;
  const lookups: number[] = [];
  const pendingCreates: number[] = [];
  const tracked = () => ids.filter((id, i) => i < started && !noticedAt.has(id));
  const fill = (now: number) => {
    while (started < o.n && started - noticedAt.size < 2 * o.slots) started++;
    while (holding < o.slots && createdAt.size + pendingCreates.length < started) {
      holding++;
      pendingCreates.push(now + o.handoverMs);
    }
  };
  fill(0);
  for (let now = 0; noticedAt.size < o.n && now < 3_600_000;) {
    // Creates that are due happen, in order of the waiting items.
    pendingCreates.sort((a, b) => a - b);
    while (pendingCreates.length > 0 && pendingCreates[0]! <= now) createdAt.set(ids[createdAt.size]!, pendingCreates.shift()!);
    const list = tracked();
    schedule.track(list, now);
    if (schedule.isDue(now)) {
      lookups.push(now);
      const found = list
        .filter((id) => createdAt.has(id))
        .map((id) => {
          const created = createdAt.get(id)!;
          const end = created + o.generationMs;
          return end <= now ? task(id, 'succeeded', created, end) : task(id, 'processing', created);
        });
      schedule.observe(list, found, now);
      for (const t of found)
        if (t.status === 'succeeded') {
          noticedAt.set(t.externalTaskId!, now);
          holding--;
        }
      fill(now);
    }
    const next = Math.min(schedule.nextLookupAt() ?? Infinity, now + 1_000, ...pendingCreates);
    now = Math.max(next, now + 1);
  }
  const lateness = ids.map((id) => noticedAt.get(id)! - (createdAt.get(id)! + o.generationMs));
  const wall = Math.max(...noticedAt.values());
  return { lookups, lateness, wall, noticed: noticedAt.size };
}

describe('LookupSchedule: the batch watcher looks a task up when it is due', () => {
  it('60 items, 5 slots, 10 s generations, interval 10 s: after the first wave each end is noticed within a second, with at most 2 lookups per wave of 5', () => {
    const run = simulate({ n: 60, slots: 5, generationMs: 10_000, intervalMs: 10_000, handoverMs: 700 });
    expect(run.noticed).toBe(60);
    // The first wave is noticed before any generation time is known: a quarter of the interval after a sighting.
    expect(Math.max(...run.lateness.slice(0, 5))).toBeLessThanOrEqual(2_500);
    // From the second wave on, the lookup comes 250 ms after the expected end (plus at most one 1 s step).
    expect(Math.max(...run.lateness.slice(5))).toBeLessThanOrEqual(1_250);
    // A fixed 10 s tick noticed an end 5 s late on average; now: 12 waves, at most 2 lookups each plus the first wave's.
    expect(run.lookups.length).toBeLessThanOrEqual(2 * 12 + 2);
    const gaps = run.lookups.slice(1).map((at, i) => at - run.lookups[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000);
  });

  it('minute-long generations with a 10 s interval: the interval stays the longest wait between lookups', () => {
    const run = simulate({ n: 10, slots: 5, generationMs: 90_000, intervalMs: 10_000, handoverMs: 700 });
    expect(run.noticed).toBe(10);
    const gaps = run.lookups.slice(1).map((at, i) => at - run.lookups[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000);
    expect(Math.max(...run.lateness)).toBeLessThanOrEqual(2_500);
  });

  it('a task not found (its item waits for a slot) is due one generation time after that lookup; an ended one is no longer waited on', () => {
    const schedule = new LookupSchedule({ intervalMs: 10_000 });
    // The first look at the tracked list: tasks of unknown age, looked up at once; none created yet.
    schedule.track(['a', 'b'], 0);
    expect(schedule.isDue(0)).toBe(true);
    schedule.observe(['a', 'b'], [], 0);
    expect(schedule.nextLookupAt()).toBe(10_000);
    // A new item tracked at 4 s was not tracked at 0 s: created at 0 s at the earliest.
    schedule.track(['a', 'b', 'c'], 4_000);
    expect(schedule.nextLookupAt()).toBe(10_000);
    // a ended after 8 s: the generation time is learned; b is not created yet.
    schedule.observe(['a', 'b', 'c'], [task('a', 'succeeded', 0, 8_000)], 10_000);
    expect(schedule.expectedMs).toBe(8_000);
    expect(schedule.nextLookupAt()).toBe(18_000);
    // b was created at 11 s: due at 19.25 s.
    schedule.observe(['a', 'b', 'c'], [task('a', 'succeeded', 0, 8_000), task('b', 'processing', 11_000)], 18_000);
    expect(schedule.nextLookupAt()).toBe(19_250);
    expect(schedule.expectedMs).toBe(8_000);
    schedule.observe(['a', 'b', 'c'], [task('a', 'succeeded', 0, 8_000), task('b', 'succeeded', 11_000, 19_000)], 19_250);
    // c is still not created: due one generation time after this lookup.
    expect(schedule.nextLookupAt()).toBe(27_250);
    schedule.track(['a', 'b'], 20_000);
    expect(schedule.nextLookupAt()).toBeUndefined();
  });
});
