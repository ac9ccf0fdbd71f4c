// One reading of a duration, bundle-safe (no zod): the schemas use it to check a duration, and workflow code uses
// it where an option is needed before validation has parsed the input (the validate activity's own timeout).
import { msToNumber } from '@temporalio/common/lib/time.js';

/** Milliseconds of a duration (ms, or a string Temporal understands: `'30s'`, `'10 minutes'`), or undefined when it is not a positive one. */
export function positiveDurationMs(value: unknown): number | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  try {
    const ms = msToNumber(value as never);
    return ms > 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}
