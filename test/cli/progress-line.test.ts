// Server-free: the CLI's one-line progress shows the account-slot queue while a generation waits (docs/slots.md).
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress.js';

describe('progressLine', () => {
  it('waiting_for_slot: the queue position, the bucket, the slots held and the wait', () => {
    const line = progressLine({
      phase: 'waiting_for_slot',
      polls: 0,
      submissions: 1,
      elapsedMs: 4_100,
      slot: { bucket: 'video:kling-2.6', state: 'waiting', position: 3, holders: 5, limit: 5, waitedMs: 4_000 },
    });
    expect(line).toMatch(/^phase waiting_for_slot · slot queue position 3 in video:kling-2\.6 \(5\/5 held\), waited 4\.0s · polls 0 · /);
  });

  it('no slot line once the slot is held', () => {
    const line = progressLine({
      phase: 'generating',
      polls: 1,
      submissions: 1,
      elapsedMs: 6_000,
      slot: { bucket: 'video:kling-2.6', state: 'holding', position: 0, holders: 5, limit: 5, waitedMs: 4_000 },
    });
    expect(line).not.toContain('slot');
  });
});
