// `kling-video batch` flags → generateBatch options, checked with the workflow's own schema.
import { describe, expect, it } from 'vitest';
import { batchOptions } from '../../src/cli/commands/batch.js';
import { CliError } from '../../src/cli/exit-codes.js';
import { batchProgressLine } from '../../src/cli/progress.js';
import { BatchOptions } from '../../src/contract/batch.js';

const refusal = (fn: () => unknown): CliError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
};

describe('batch flags → batch options', () => {
  it('maps the batched-polling flags (ms digits become numbers, durations stay text)', () => {
    expect(batchOptions({ batchPollInterval: '5s' })).toEqual({ batchPolling: { interval: '5s' } });
    expect(batchOptions({ batchPolling: false, batchPollInterval: '2500' })).toEqual({ batchPolling: { enabled: false, interval: 2500 } });
    // commander's default for --no-batch-polling is true: nothing is sent, the workflow's default applies.
    expect(batchOptions({ batchPolling: true, concurrency: '3' })).toEqual({ concurrency: 3 });
  });

  it('refuses a bad interval naming the flag, before anything starts', () => {
    const err = refusal(() => batchOptions({ batchPollInterval: 'soon', concurrency: '0' }));
    expect(err.exitCode).toBe(2);
    expect((err.issues ?? []).map((i) => i.field).sort()).toEqual(['--batch-poll-interval', '--concurrency']);
  });

  it('defaults: batched polling on, every 10 s, items falling back to a 2-minute poll', () => {
    expect(BatchOptions.parse({}).batchPolling).toEqual({ enabled: true, interval: 10_000, childPollInterval: 120_000 });
    expect(BatchOptions.parse({ batchPolling: { interval: '1 minute' } }).batchPolling.interval).toBe(60_000);
    expect(BatchOptions.safeParse({ batchPolling: { interval: 0 } }).success).toBe(false);
    expect(BatchOptions.safeParse({ batchPolling: { every: '1s' } }).success).toBe(false);
  });
});

describe('batch progress line (kling-video batch --wait)', () => {
  it('counts, items polled by the batch, and credits against the budget', () => {
    const line = batchProgressLine({
      total: 10,
      succeeded: 3,
      failed: 1,
      skipped: 2,
      inFlight: 3,
      waiting: 1,
      buckets: {},
      peakInFlight: 3,
      polledByBatch: 2,
      phase: 'running',
      credits: { budget: 200, reserved: 120, estimated: 60, actual: 45 },
    });
    expect(line).toBe(
      'running · 3 succeeded · 1 failed · 2 skipped · 3 in flight · 1 waiting of 10 · 2 polled by the batch · credits 45 actual / 120 reserved of 200',
    );
  });
});
