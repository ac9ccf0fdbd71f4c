// Server-free: the CLI's one-line progress shows the account-slot queue while a generation waits (docs/slots.md).
import { describe, expect, it } from 'vitest';
import { progressLine, watchProgress } from '../../src/cli/progress.js';

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

describe('watchProgress', () => {
  it('shows the first reading even when the run ends while it is read (a short batch printed no progress at all)', async () => {
    const lines: string[] = [];
    const output = { out: (t: string) => lines.push(t), err: () => undefined, isTty: false };
    // The run is over before the query answers.
    const read = () =>
      new Promise<{ line: string; key: string }>((resolve) => setTimeout(() => resolve({ line: 'completed · 2 of 2', key: 'k' }), 20));
    await watchProgress(read, Promise.resolve(), output, { prefix: '  ' });
    expect(lines).toEqual(['  completed · 2 of 2']);
  });
});
