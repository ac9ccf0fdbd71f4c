// Server-free unit tests of account-wide slot admission's pure pieces: the entity's bookkeeping (SlotTable: queue,
// priorities, grants, releases, hand-overs, the outside estimate and its decay) and KLING_SLOTS parsing. The
// workflow tests (test/workflows/account-slots.test.ts) check the same rules through running workflows.
import { describe, expect, it } from 'vitest';
import { parseSlotsSetting, slotsFor } from '../../../src/activities/account-slots.js';
import { emptySlotsState, type SlotRequest } from '../../../src/contract/slot-messages.js';
import { OUTSIDE_DECAY_MS, SlotTable } from '../../../src/workflows/slot-table.js';

const req = (key: string, options: Partial<SlotRequest> = {}): SlotRequest => ({
  key,
  workflowId: `wf-${key}`,
  runId: `run-${key}`,
  priority: 0,
  limit: 2,
  leaseCheckMs: 1_000,
  task: { standard: 'new', kind: 'text-to-video', externalTaskId: `ext-${key}` },
  ...options,
});

const table = () => new SlotTable(emptySlotsState('video:kling-2.6'));

describe('SlotTable', () => {
  it('grants up to the limit, queues the rest in arrival order, and hands a released slot to the first waiter', () => {
    const t = table();
    for (const key of ['a', 'b', 'c', 'd']) t.request(req(key), 0);
    expect(t.grant(0).map((h) => h.key)).toEqual(['a', 'b']);
    expect(t.answer('c')).toEqual({ granted: false, position: 1, holders: 2, limit: 2 });
    expect(t.answer('d').position).toBe(2);
    expect(t.release('a')).toBe(true);
    expect(t.grant(10).map((h) => h.key)).toEqual(['c']);
    expect(t.answer('c').granted).toBe(true);
    expect(t.state.granted).toBe(3);
  });

  it('serves a higher priority first, FIFO within a priority', () => {
    const t = table();
    t.request(req('a'), 0);
    t.request(req('b'), 0);
    t.grant(0);
    t.request(req('low1'), 1);
    t.request(req('high', { priority: 5 }), 2);
    t.request(req('low2'), 3);
    expect(t.state.queue.map((w) => w.key)).toEqual(['high', 'low1', 'low2']);
  });

  it('answers a repeated request (a retried activity) without queuing it twice', () => {
    const t = table();
    t.request(req('a', { limit: 1 }), 0);
    t.grant(0);
    t.request(req('b', { limit: 1 }), 0);
    expect(t.request(req('b', { limit: 1 }), 5)).toEqual({ granted: false, position: 1, holders: 1, limit: 1 });
    expect(t.request(req('a', { limit: 1 }), 5).granted).toBe(true);
    expect(t.state.queue).toHaveLength(1);
    expect(t.state.holders).toHaveLength(1);
  });

  it('the same key from a new run (a reset) moves the holder or waiter to that run', () => {
    const t = table();
    t.request(req('a', { limit: 1 }), 0);
    t.grant(0);
    t.orphan('a', { standard: 'new', kind: 'text-to-video', externalTaskId: 'ext-a' });
    t.request(req('b', { limit: 1 }), 0);
    expect(t.request(req('a', { limit: 1, runId: 'run-a-reset' }), 5).granted).toBe(true);
    expect(t.state.holders[0]).toMatchObject({ key: 'a', runId: 'run-a-reset' });
    expect(t.state.holders[0]!.orphaned).toBeUndefined();
    t.request(req('b', { limit: 1, runId: 'run-b-reset' }), 5);
    expect(t.state.queue.map((w) => [w.key, w.runId])).toEqual([['b', 'run-b-reset']]);
  });

  it('a waiter that gives up leaves the queue; an unknown key changes nothing', () => {
    const t = table();
    t.request(req('a', { limit: 1 }), 0);
    t.grant(0);
    t.request(req('b', { limit: 1 }), 0);
    expect(t.release('b')).toBe(true);
    expect(t.release('nobody')).toBe(false);
    expect(t.state.queue).toEqual([]);
  });

  it('a hand-over keeps the slot (orphaned, with the task); a hand-over while queued leaves the queue', () => {
    const t = table();
    t.request(req('a', { limit: 1 }), 0);
    t.grant(0);
    t.request(req('b', { limit: 1 }), 0);
    t.orphan('a', { standard: 'new', kind: 'text-to-video', externalTaskId: 'ext-a', taskId: 'T1' });
    expect(t.state.holders[0]).toMatchObject({ key: 'a', orphaned: true, task: { taskId: 'T1' } });
    expect(t.grant(1)).toEqual([]);
    t.orphan('b', { standard: 'new', kind: 'text-to-video', externalTaskId: 'ext-b' });
    expect(t.state.queue).toEqual([]);
    t.reclaim('a');
    expect(t.state.holders).toEqual([]);
    expect(t.state.reclaimed).toBe(1);
  });

  it('a 1303 shrinks the capacity by the tasks created outside, never below one slot, and the estimate decays', () => {
    const t = table();
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) t.request(req(key, { limit: 5 }), 0);
    expect(t.grant(0)).toHaveLength(5);
    // Two holders refused: at most three tasks are ours, so two run outside.
    t.refused('d', 100);
    t.refused('e', 100);
    expect(t.outside(100)).toBe(2);
    expect(t.capacity(100)).toBe(3);
    // The same holders refused again: the same observation, not a bigger estimate.
    t.refused('d', 200);
    expect(t.outside(200)).toBe(2);
    t.release('a');
    expect(t.grant(300)).toEqual([]);
    // One outside task less per OUTSIDE_DECAY_MS: the bucket is probed again, one slot at a time.
    expect(t.outside(100 + OUTSIDE_DECAY_MS)).toBe(1);
    expect(t.nextDecayAt(100)).toBe(100 + OUTSIDE_DECAY_MS);
    expect(t.outside(100 + 2 * OUTSIDE_DECAY_MS)).toBe(0);
    expect(t.nextDecayAt(100 + 2 * OUTSIDE_DECAY_MS)).toBeUndefined();
    // Every holder refused: the estimate stops at limit - 1.
    const all = table();
    all.request(req('x', { limit: 3 }), 0);
    all.grant(0);
    all.refused('x', 0);
    expect(all.capacity(0)).toBe(1);
    expect(all.state.refused).toBe(1);
  });
});

describe('KLING_SLOTS', () => {
  const resolve = (name: string) => ({ 'kling-2.6': 'kling-2.6', 'kling-v2-6': 'kling-2.6', 'kling-3.0-omni': 'kling-3.0-omni' })[name];

  it('reads a default count, counts per model (aliases resolved), or both', () => {
    expect(parseSlotsSetting('5', resolve)).toEqual({ default: 5, perModel: {} });
    expect(parseSlotsSetting('kling-v2-6=3, kling-3.0-omni=10', resolve)).toEqual({ perModel: { 'kling-2.6': 3, 'kling-3.0-omni': 10 } });
    expect(parseSlotsSetting('5,kling-2.6=2', resolve)).toEqual({ default: 5, perModel: { 'kling-2.6': 2 } });
  });

  it('refuses malformed values naming the variable and the entry', () => {
    expect(() => parseSlotsSetting('0', resolve)).toThrow(/^KLING_SLOTS: "0" needs a whole number of slots from 1 to 1000/);
    expect(() => parseSlotsSetting('five', resolve)).toThrow(/KLING_SLOTS: "five"/);
    expect(() => parseSlotsSetting('kling-9=5', resolve)).toThrow(/KLING_SLOTS: "kling-9=5" names an unknown model "kling-9"/);
    expect(() => parseSlotsSetting('5,6', resolve)).toThrow(/KLING_SLOTS: more than one default/);
    expect(() => parseSlotsSetting('kling-2.6=1,kling-v2-6=2', resolve)).toThrow(/KLING_SLOTS: model "kling-2.6" is given twice/);
    expect(() => parseSlotsSetting(' , ', resolve)).toThrow(/KLING_SLOTS: no slot count given/);
  });

  it('puts the bucket and count into the plan only for configured buckets', () => {
    expect(slotsFor(undefined, 'kling-2.6')).toBeUndefined();
    expect(slotsFor({ perModel: { 'kling-3.0-omni': 10 } }, 'kling-2.6')).toBeUndefined();
    expect(slotsFor({ default: 5, perModel: { 'kling-3.0-omni': 10 } }, 'kling-3.0-omni')).toEqual({
      bucket: 'video:kling-3.0-omni',
      limit: 10,
      leaseCheckMs: 60_000,
    });
    expect(slotsFor({ default: 5, perModel: {}, leaseCheckMs: 500 }, 'kling-2.6')).toEqual({
      bucket: 'video:kling-2.6',
      limit: 5,
      leaseCheckMs: 500,
    });
  });
});
