// Guards for the failures a generation ends with (`ApplicationFailure.type` is a FailureType). Bundle-safe: only
// @temporalio/common, whose failure classes match by a global symbol, so they also recognise failures created
// by another copy of the Temporal SDK.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from './failure-types.js';

const FAILURE_TYPES: ReadonlySet<string> = new Set(Object.values(FailureType));

/** An ApplicationFailure whose `type` is one of this package's FailureType values. */
export type KlingFailure<T extends FailureType = FailureType> = ApplicationFailure & { readonly type: T };

/** True when `value` is one of the FailureType strings. */
export function isFailureType(value: unknown): value is FailureType {
  return typeof value === 'string' && FAILURE_TYPES.has(value);
}

/**
 * The generation's failure inside `err`: `err` itself, or the first ApplicationFailure with a FailureType along its
 * `cause` chain (WorkflowFailedError from `result()`, ChildWorkflowFailure, ActivityFailure…). Undefined otherwise
 * (cancelled, terminated, timed out, a connection error…).
 */
export function klingFailureOf(err: unknown): KlingFailure | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 20 && current instanceof Error; depth++) {
    if (current instanceof ApplicationFailure && isFailureType(current.type)) return current as KlingFailure;
    current = current.cause;
  }
  return undefined;
}

/**
 * True when `err` is, or was caused by, a generation failure (of one of `types` when given):
 * `isKlingFailure(err, 'BudgetExceeded')`, `isKlingFailure(err, ['VideoUrlExpired', 'VideoDownloadInvalid'])`.
 * Use klingFailureOf(err) for the failure itself (`details[0]` carries the specifics).
 */
export function isKlingFailure(err: unknown, types?: FailureType | readonly FailureType[]): boolean {
  const failure = klingFailureOf(err);
  if (!failure) return false;
  if (types === undefined) return true;
  return typeof types === 'string' ? failure.type === types : types.includes(failure.type);
}
