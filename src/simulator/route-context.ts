import type { IncomingHttpHeaders } from 'node:http';
import type { AuthenticatedCaller } from './auth.js';
import type { SimResponse } from './http-response.js';
import type { RequestLogEntry } from './request-log.js';
import type { SimulatorCore } from './simulator-core.js';

/** Everything a route handler may look at. */
export interface RouteContext {
  readonly core: SimulatorCore;
  readonly method: string;
  readonly url: URL;
  /** Named path segments of the matched route, URI-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  /** Who passed authentication; undefined on unauthenticated routes (the CDN). */
  readonly caller: AuthenticatedCaller | undefined;
  readonly log: RequestLogEntry;
}

export type RouteHandler = (context: RouteContext) => SimResponse | Promise<SimResponse>;
