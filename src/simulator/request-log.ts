import type { AuthKind } from './auth.js';
import type { FaultKind, RouteKind } from './faults.js';

/** One entry of `sim.requests`: what came in and what went out. */
export interface RequestLogEntry {
  /** Simulator clock (ms) when the request arrived. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  /** Query parameters (first value of each). */
  readonly query: Readonly<Record<string, string>>;
  readonly routeKind: RouteKind;
  readonly standard: 'legacy' | 'new' | undefined;
  /** What the caller sent: an API key, a JWT (three dot-separated parts) or nothing. */
  authKind: AuthKind;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** HTTP status sent; null when no response was sent (reset, hang). */
  status: number | null;
  /** Business `code` of the JSON envelope sent; null for media or no response. */
  code: number | null;
  /** The injected fault, if any. */
  fault: FaultKind | null;
  /** The task a successful create made. */
  createdTaskId: string | undefined;
}
