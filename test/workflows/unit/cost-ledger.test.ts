// Server-free unit tests of CostLedger, the cost state a generation keeps in workflow memory and writes to its
// memo (test/workflows/costs-estimate.test.ts checks the same records through running workflows).
import { describe, expect, it } from 'vitest';
import type { CreditEstimate } from '../../../src/kling/pricing.js';
import { CostLedger, DEFAULT_DRIFT_TOLERANCE } from '../../../src/workflows/cost-ledger.js';

// 5 s of kling-2.6 at 1080p: 7 units of 5 credits each (numbers chosen for easy arithmetic, not Kling's price list).
const ESTIMATE: CreditEstimate = {
  credits: 35,
  units: 7,
  creditsPerUnit: 5,
  model: 'kling-2.6',
  resolution: '1080p',
  durationSeconds: 5,
  audio: false,
  audioMultiplier: 1,
  basis: 'per-second',
  confidence: 'official',
  source: 'unit test',
};

function ledger(): CostLedger {
  const l = new CostLedger();
  l.estimate = ESTIMATE;
  return l;
}

describe('CostLedger', () => {
  it('records nothing but the submission state before an estimate, and never writes undefined keys', () => {
    const l = new CostLedger();
    expect(l.tolerance).toBe(DEFAULT_DRIFT_TOLERANCE);
    expect(l.record()).toEqual({ submission: 'none', drift: false });
    expect(Object.values(l.record())).not.toContain(undefined);
  });

  it('counts a task once however often it is reported submitted, and clears the pending external id', () => {
    const l = ledger();
    l.submission = 'unknown';
    l.pendingExternalTaskId = 'wf-r1-1';
    l.submitted('task-1', 'wf-r1-1');
    l.submitted('task-1', 'wf-r1-1');
    expect(l.tasks).toEqual([{ klingTaskId: 'task-1', externalTaskId: 'wf-r1-1' }]);
    expect(l.submission).toBe('submitted');
    expect(l.pendingExternalTaskId).toBeUndefined();
  });

  it('never assumes a deduction: no reported units means no actual credits and no drift', () => {
    const l = ledger();
    l.submitted('task-1', 'wf-r1-1');
    l.observed('task-1', 'succeeded', undefined);
    expect(l.actualUnits).toBeUndefined();
    expect(l.actualCredits).toBeUndefined();
    expect(l.driftCredits).toBeUndefined();
    expect(l.drift).toBe(false);
  });

  it('ignores a reading for a task it does not know', () => {
    const l = ledger();
    l.observed('stranger', 'succeeded', 7);
    expect(l.tasks).toEqual([]);
    expect(l.actualUnits).toBeUndefined();
  });

  it('sums the deductions of every task, but compares only the delivered one with the estimate', () => {
    const l = ledger();
    l.submitted('task-1', 'wf-r1-1');
    l.observed('task-1', 'failed', 2);
    l.submitted('task-2', 'wf-r1-2');
    l.observed('task-2', 'succeeded', 7);
    expect(l.actualUnits).toBe(9);
    expect(l.actualCredits).toBe(45);
    expect(l.driftCredits).toBe(0);
    expect(l.drift).toBe(false);
    expect(l.record()).toMatchObject({
      model: 'kling-2.6',
      estimatedCredits: 35,
      creditsPerUnit: 5,
      actualUnits: 9,
      actualCredits: 45,
      driftCredits: 0,
      drift: false,
      driftTolerance: DEFAULT_DRIFT_TOLERANCE,
      klingTaskId: 'task-2',
      submission: 'submitted',
      tasks: [
        { klingTaskId: 'task-1', externalTaskId: 'wf-r1-1', status: 'failed', unitsDeducted: 2 },
        { klingTaskId: 'task-2', externalTaskId: 'wf-r1-2', status: 'succeeded', unitsDeducted: 7 },
      ],
    });
  });

  it('flags drift only beyond the tolerance, in both directions, and at the boundary does not', () => {
    const within = ledger();
    within.submitted('t', 'e');
    within.observed('t', 'succeeded', 7.35); // 36.75 credits: +1.75 = exactly 5 % of 35
    expect(within.driftCredits).toBe(1.75);
    expect(within.drift).toBe(false);

    const over = ledger();
    over.submitted('t', 'e');
    over.observed('t', 'succeeded', 8); // 40 credits: +5 > 1.75
    expect(over.driftCredits).toBe(5);
    expect(over.drift).toBe(true);

    const under = ledger();
    under.tolerance = 0.5;
    under.submitted('t', 'e');
    under.observed('t', 'succeeded', 3); // 15 credits: -20, beyond 50 % of 35 = 17.5
    expect(under.driftCredits).toBe(-20);
    expect(under.drift).toBe(true);
    expect(under.record().driftTolerance).toBe(0.5);
  });

  it('keeps the last reading of a task, and an absent deduction does not erase a reported one', () => {
    const l = ledger();
    l.submitted('t', 'e');
    l.observed('t', 'processing', 7);
    l.observed('t', 'succeeded', undefined);
    expect(l.tasks[0]).toEqual({ klingTaskId: 't', externalTaskId: 'e', status: 'succeeded', unitsDeducted: 7 });
  });

  it('rounds sums to thousandths so floating-point noise never reaches the memo', () => {
    const l = ledger();
    l.estimate = { ...ESTIMATE, creditsPerUnit: 0.1, credits: 0.3 };
    l.submitted('a', 'ea');
    l.observed('a', 'failed', 0.1);
    l.submitted('b', 'eb');
    l.observed('b', 'succeeded', 0.2);
    expect(l.actualUnits).toBe(0.3);
    expect(l.actualCredits).toBe(0.03);
  });
});
