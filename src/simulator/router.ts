/** The route table: which handler serves a method + path, its route kind (for faults) and its auth scheme. */
import { accountCosts } from './account-routes.js';
import { billingPackage } from './billing-routes.js';
import { serveMedia } from './cdn-routes.js';
import { resourceNotFound } from './errors.js';
import type { RouteKind } from './faults.js';
import { legacyCreate, legacyListOrLookup, legacyQueryOne } from './legacy-routes.js';
import { getTasks, listTasks, motionCreate, newCreate, omniCreate } from './new-routes.js';
import type { RouteHandler } from './route-context.js';

export type AuthScheme = 'legacy' | 'new' | 'none';

export interface RouteDefinition {
  readonly methods: readonly string[];
  /** Anchored; named groups become params. */
  readonly pattern: RegExp;
  readonly kind: RouteKind;
  readonly standard: 'legacy' | 'new' | undefined;
  readonly auth: AuthScheme;
  readonly handler: RouteHandler;
}

export type RouteMatch =
  | { readonly type: 'found'; readonly route: RouteDefinition; readonly params: Record<string, string> }
  | { readonly type: 'method-not-allowed'; readonly route: RouteDefinition }
  | { readonly type: 'not-found' };

const notSimulated: RouteHandler = (context) => {
  throw resourceNotFound(`The requested resource does not exist in the simulator: ${context.url.pathname}`);
};

/** REF §1.2 (legacy), NEW §3 (new), NEW §7.2 (account) and the simulator's CDN. */
export function buildRoutes(startedAt: number): RouteDefinition[] {
  return [
    {
      methods: ['POST'],
      pattern: /^\/v1\/videos\/(?<family>text2video|image2video|omni-video|motion-control)$/,
      kind: 'create',
      standard: 'legacy',
      auth: 'legacy',
      handler: legacyCreate,
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/videos\/(?<family>text2video|image2video|omni-video|motion-control)$/,
      kind: 'query',
      standard: 'legacy',
      auth: 'legacy',
      handler: legacyListOrLookup,
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/videos\/(?<family>text2video|image2video|omni-video|motion-control)\/(?<id>[^/]+)$/,
      kind: 'query',
      standard: 'legacy',
      auth: 'legacy',
      handler: legacyQueryOne,
    },
    // Other legacy families (multi-image2video, video-extend, effects, …) exist on Kling but are not simulated.
    {
      methods: ['GET', 'POST'],
      pattern: /^\/v1\/(?!videos\/(?:text2video|image2video|omni-video|motion-control)(?:\/|$)).+$/,
      kind: 'other',
      standard: 'legacy',
      auth: 'legacy',
      handler: notSimulated,
    },
    { methods: ['GET'], pattern: /^\/account\/costs$/, kind: 'account', standard: 'legacy', auth: 'legacy', handler: accountCosts(startedAt) },
    // NEW §7.2: the unit ledger. The cash ledger (`/account/billing/balance`) is not simulated: the account is pack-only.
    { methods: ['POST'], pattern: /^\/account\/billing\/package$/, kind: 'account', standard: 'legacy', auth: 'legacy', handler: billingPackage },
    {
      methods: ['POST'],
      pattern: /^\/(?<product>text-to-video|image-to-video)\/(?<model>[^/]+)$/,
      kind: 'create',
      standard: 'new',
      auth: 'new',
      handler: newCreate,
    },
    { methods: ['POST'], pattern: /^\/omni-video\/(?<model>[^/]+)$/, kind: 'create', standard: 'new', auth: 'new', handler: omniCreate },
    { methods: ['POST'], pattern: /^\/motion-control\/(?<model>[^/]+)$/, kind: 'create', standard: 'new', auth: 'new', handler: motionCreate },
    { methods: ['GET'], pattern: /^\/tasks$/, kind: 'query', standard: 'new', auth: 'new', handler: getTasks },
    { methods: ['POST'], pattern: /^\/tasks$/, kind: 'query', standard: 'new', auth: 'new', handler: listTasks },
    {
      methods: ['GET', 'HEAD'],
      pattern: /^\/cdn\/(?<token>[0-9a-f]+)\.mp4$/,
      kind: 'download',
      standard: undefined,
      auth: 'none',
      handler: serveMedia,
    },
  ];
}

export function matchRoute(routes: readonly RouteDefinition[], method: string, pathname: string): RouteMatch {
  let wrongMethod: RouteDefinition | undefined;
  for (const route of routes) {
    const match = route.pattern.exec(pathname);
    if (match === null) continue;
    if (!route.methods.includes(method)) {
      wrongMethod ??= route;
      continue;
    }
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(match.groups ?? {})) {
      if (value !== undefined) params[name] = safeDecode(value);
    }
    return { type: 'found', route, params };
  }
  return wrongMethod === undefined ? { type: 'not-found' } : { type: 'method-not-allowed', route: wrongMethod };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
