import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { FailureType } from '../../src/contract/failure-types.js';
import { isFailureType, isKlingFailure, klingFailureOf } from '../../src/contract/failure-guards.js';

const budget = ApplicationFailure.create({
  message: 'over budget',
  type: FailureType.BudgetExceeded,
  nonRetryable: true,
  details: [{ budget: 'maxCredits' }],
});
const failed = (cause: Error) => new WorkflowFailedError('Workflow execution failed', cause, RetryState.NON_RETRYABLE_FAILURE);

describe('failure guards (kling-temporal)', () => {
  it('finds the generation failure inside the WorkflowFailedError that result() rejects with', () => {
    const err = failed(budget);
    expect(klingFailureOf(err)).toBe(budget);
    expect(klingFailureOf(err)?.details?.[0]).toEqual({ budget: 'maxCredits' });
    expect(isKlingFailure(err)).toBe(true);
    expect(isKlingFailure(err, 'BudgetExceeded')).toBe(true);
    expect(isKlingFailure(err, ['VideoUrlExpired', 'BudgetExceeded'])).toBe(true);
    expect(isKlingFailure(err, 'VideoGenerationFailed')).toBe(false);
    expect(isKlingFailure(budget, 'BudgetExceeded')).toBe(true);
  });

  it('walks nested causes (an activity failure) and skips application failures of other types', () => {
    const expired = ApplicationFailure.create({ message: 'gone', type: FailureType.VideoUrlExpired, nonRetryable: true });
    const wrapped = new ActivityFailure(
      'activity failed',
      'rehostVideo',
      '3',
      RetryState.NON_RETRYABLE_FAILURE,
      'worker',
      ApplicationFailure.create({ message: 'x', type: 'Other', cause: expired }),
    );
    expect(klingFailureOf(failed(wrapped))?.type).toBe('VideoUrlExpired');
  });

  it('is false for what is not a generation failure', () => {
    for (const err of [
      failed(new CancelledFailure('cancelled')),
      failed(ApplicationFailure.create({ message: 'x', type: 'SomethingElse' })),
      new Error('x'),
      'BudgetExceeded',
      undefined,
      null,
    ]) {
      expect(isKlingFailure(err)).toBe(false);
      expect(klingFailureOf(err)).toBeUndefined();
    }
  });

  it('isFailureType knows exactly the FailureType values', () => {
    for (const type of Object.values(FailureType)) expect(isFailureType(type)).toBe(true);
    expect(isFailureType('KlingSubmissionUnknown')).toBe(false);
    expect(isFailureType(42)).toBe(false);
  });
});
