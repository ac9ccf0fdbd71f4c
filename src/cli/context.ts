import type { TemporalTarget } from './exit-codes.js';
import type { Output } from './output.js';
import type { TemporalFlags } from './temporal.js';

/** Shared by every command of one CLI run. */
export interface CliContext {
  output: Output;
  /** Set by a command that got --json: errors are then printed as JSON too. */
  json: boolean;
  /** Exit code a command chose without throwing (e.g. validate of an invalid request). */
  exitCode: number;
  /** The global --address / --namespace / --profile (set before the command runs). */
  temporal?: TemporalFlags;
  /** Where the command connected (set by connectTemporal): named in namespace-not-found errors. */
  target?: TemporalTarget;
}

/** Wraps a command action: records --json before anything can fail. */
export function action<A extends unknown[]>(ctx: CliContext, fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args.find((a): a is { json?: boolean } => typeof a === 'object' && a !== null && 'json' in a);
    if (opts?.json) ctx.json = true;
    await fn(...args);
  };
}
