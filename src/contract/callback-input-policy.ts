/**
 * How the worker's callback settings reach a generation: the create carries the public callback URL, and the
 * poll loop, no longer the main path, defaults to a slow fallback schedule. Both only fill what the caller left
 * unset: a caller's own `callbackUrl` (their relay) or `options.poll` wins.
 */

import { DEFAULT_POLL } from './constants.js';

/** The request with `callbackUrl` set to `url` unless the caller chose one (or callbacks are off). */
export function withCallbackUrl(request: Record<string, unknown>, url: string | undefined): Record<string, unknown> {
  if (url === undefined || request.callbackUrl !== undefined) return request;
  return { ...request, callbackUrl: url };
}

/** The fallback poll schedule (ms) while callbacks are on; the growth factor is the default poll's. */
export interface FallbackPoll {
  initialInterval: number;
  maxInterval: number;
}

/**
 * The workflow input with `options.poll` set to the fallback schedule when the caller gave none. Anything
 * malformed is passed through untouched, for validation to report.
 */
export function withFallbackPoll<T>(input: T, poll: FallbackPoll | undefined): T {
  if (poll === undefined || typeof input !== 'object' || input === null) return input;
  const options = (input as { options?: unknown }).options;
  if (options !== undefined && (typeof options !== 'object' || options === null)) return input;
  if ((options as { poll?: unknown } | undefined)?.poll !== undefined) return input;
  return {
    ...input,
    options: {
      ...(options as object | undefined),
      poll: { initialInterval: poll.initialInterval, backoffCoefficient: DEFAULT_POLL.backoffCoefficient, maxInterval: poll.maxInterval },
    },
  };
}
