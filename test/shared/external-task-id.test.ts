import { describe, expect, it } from 'vitest';
import { externalTaskIdFor, workflowIdFromExternalTaskId } from '../../src/contract/constants.js';

describe('external task ids', () => {
  // Two UUIDv7 run ids minted in the same millisecond share their first 12 hex digits (the timestamp).
  const runA = '019a21f8-9071-7d3e-a3d0-0b65adb8c937';
  const runB = '019a21f8-9071-7f00-8c41-4211da90c5a7';

  it('differ for runs started in the same minute: a re-run never adopts the previous run’s task', () => {
    expect(externalTaskIdFor('order-1', runA, 1)).not.toBe(externalTaskIdFor('order-1', runB, 1));
    expect(externalTaskIdFor('order-1', runA, 1)).toBe('order-1-r0b65adb8c937-1');
  });

  it('differ per resubmission and map back to the workflow id (callbacks need no database)', () => {
    expect(externalTaskIdFor('order-1', runA, 2)).toBe('order-1-r0b65adb8c937-2');
    expect(workflowIdFromExternalTaskId(externalTaskIdFor('order-1-r0b65adb8c937-1', runB, 3))).toBe('order-1-r0b65adb8c937-1');
    expect(workflowIdFromExternalTaskId('someone-else')).toBeUndefined();
  });
});
