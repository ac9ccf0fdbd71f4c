/**
 * Fault injection: scripted (the next N matching requests) or random (a seeded PRNG), filtered by route kind.
 * The server applies the chosen fault; this module only decides which request gets which fault.
 */
import { z } from 'zod';
import { createPrng } from './prng.js';

/** What a request does, for fault filters and the request log. */
export type RouteKind = 'create' | 'query' | 'download' | 'account' | 'other';

/** Error faults with a fixed status/code (REF §5 error table). */
export const ERROR_FAULTS = {
  'http-5000': { status: 500, code: 5000, message: 'Server internal error' },
  'http-5001': { status: 503, code: 5001, message: 'Server temporarily unavailable' },
  'http-5002': { status: 504, code: 5002, message: 'Server internal timeout' },
  'rate-limit-1302': { status: 429, code: 1302, message: 'Requests too fast, please slow down' },
  'concurrency-1303': { status: 429, code: 1303, message: 'parallel task over resource pack limit' },
  'token-expired-1004': { status: 401, code: 1004, message: 'Authorization has expired' },
} as const;
type ErrorFaultKind = keyof typeof ERROR_FAULTS;
const ERROR_FAULT_KINDS = Object.keys(ERROR_FAULTS) as [ErrorFaultKind, ...ErrorFaultKind[]];

const target = {
  /** Route kind the fault applies to (default any). `accept-then-*` faults only match creates, `expired` and `not-video` only downloads. */
  route: z.enum(['create', 'query', 'download', 'account', 'any']).default('any'),
  /** API standard the fault applies to (default any; downloads have none). */
  standard: z.enum(['legacy', 'new', 'any']).default('any'),
  /** Scripted faults: how many matching requests this entry covers. */
  times: z.number().int().min(1).default(1),
};
/** Error faults answer before the request is processed, or — with `afterProcessing` — after (e.g. a 504 whose create did happen). */
const afterProcessing = z.boolean().default(false);

export const FaultSchema = z.discriminatedUnion('kind', [
  /** Lets a request through untouched (to script "the second request fails"). */
  z.object({ kind: z.literal('pass'), ...target }),
  z.object({ kind: z.enum(ERROR_FAULT_KINDS), afterProcessing, ...target }),
  z.object({
    kind: z.literal('error'),
    status: z.number().int().min(100).max(599),
    code: z.number().int(),
    message: z.string(),
    afterProcessing,
    ...target,
  }),
  /** Destroys the socket before anything is processed or sent. */
  z.object({ kind: z.literal('connection-reset'), ...target }),
  /** Waits before processing and before any header is sent; if the client gives up meanwhile, nothing is processed. */
  z.object({ kind: z.literal('slow-response'), delayMs: z.number().int().min(0), ...target }),
  /** Sends headers at once, then the body in `chunkBytes` pieces every `intervalMs`. */
  z.object({
    kind: z.literal('slow-body'),
    chunkBytes: z.number().int().min(1).default(1024),
    intervalMs: z.number().int().min(0).default(50),
    ...target,
  }),
  /** Sends the full Content-Length but only `sendBytes` (default half) of the body, then closes the socket. */
  z.object({ kind: z.literal('truncated-body'), sendBytes: z.number().int().min(0).optional(), ...target }),
  /** Create only: the request is processed (the task exists) and the answer is sent `delayMs` later. */
  z.object({ kind: z.literal('accept-then-delay'), delayMs: z.number().int().min(0), ...target }),
  /** Create only: the request is processed (the task exists), then no answer ever: the socket stays open until closed. */
  z.object({ kind: z.literal('accept-then-hang'), ...target }),
  /** Create only: the request is processed (the task exists), then the socket is destroyed instead of answering. */
  z.object({ kind: z.literal('accept-then-reset'), ...target }),
  /** Download only: answers as an expired URL would (`expiredVideoStatus`, 403 by default). */
  z.object({ kind: z.literal('expired'), ...target }),
  /**
   * Download only: status, `Content-Type: video/mp4` and `Content-Length` as usual, but the body is an HTML page
   * (padded to the video's length) instead of the MP4: what a misbehaving CDN or proxy error page looks like.
   */
  z.object({ kind: z.literal('not-video'), ...target }),
]);

export type FaultInput = z.input<typeof FaultSchema>;
export type Fault = z.infer<typeof FaultSchema>;
export type FaultKind = Fault['kind'];

export const FaultRateRuleSchema = z.object({
  /** Chance in [0, 1] that a matching request gets a fault. */
  probability: z.number().min(0).max(1),
  /** Candidates, chosen uniformly among those whose own filter matches. */
  faults: z.array(FaultSchema).min(1),
  route: target.route,
  standard: target.standard,
  /** PRNG seed; defaults to the simulator's `seed` option. */
  seed: z.number().int().optional(),
});
export type FaultRateRuleInput = z.input<typeof FaultRateRuleSchema>;

/** The request a fault is being chosen for. */
export interface FaultTarget {
  readonly kind: RouteKind;
  readonly standard: 'legacy' | 'new' | undefined;
}

/** The fault-injection API exposed as `sim.faults`. */
export interface FaultController {
  /** Queues faults: each entry hits the next `times` requests it matches (first matching entry wins). */
  script(faults: readonly FaultInput[]): void;
  /** Adds a random rule: each matching request gets one of `faults` with `probability`. */
  rate(rule: FaultRateRuleInput): void;
  /** Removes all scripted entries and random rules. */
  clear(): void;
  /** How many scripted fault applications are still queued. */
  pending(): number;
}

interface ScriptEntry {
  fault: Fault;
  remaining: number;
}

interface RateRule {
  rule: z.infer<typeof FaultRateRuleSchema>;
  random: () => number;
}

const CREATE_ONLY: ReadonlySet<FaultKind> = new Set(['accept-then-delay', 'accept-then-hang', 'accept-then-reset']);

export function faultMatches(fault: Pick<Fault, 'kind' | 'route' | 'standard'>, request: FaultTarget): boolean {
  if (CREATE_ONLY.has(fault.kind) && request.kind !== 'create') return false;
  if ((fault.kind === 'expired' || fault.kind === 'not-video') && request.kind !== 'download') return false;
  if (fault.route !== 'any' && fault.route !== request.kind) return false;
  return fault.standard === 'any' || fault.standard === request.standard;
}

export class FaultInjector implements FaultController {
  #script: ScriptEntry[] = [];
  #rates: RateRule[] = [];

  constructor(private readonly defaultSeed: number) {}

  script(faults: readonly FaultInput[]): void {
    for (const input of faults) {
      const fault = FaultSchema.parse(input);
      this.#script.push({ fault, remaining: fault.times });
    }
  }

  rate(input: FaultRateRuleInput): void {
    const rule = FaultRateRuleSchema.parse(input);
    this.#rates.push({ rule, random: createPrng(rule.seed ?? this.defaultSeed) });
  }

  clear(): void {
    this.#script = [];
    this.#rates = [];
  }

  pending(): number {
    return this.#script.reduce((sum, entry) => sum + entry.remaining, 0);
  }

  /** Picks (and consumes) the fault for a request, or undefined. Scripted entries win over random rules. */
  take(request: FaultTarget): Fault | undefined {
    const index = this.#script.findIndex((entry) => faultMatches(entry.fault, request));
    const entry = index === -1 ? undefined : this.#script[index];
    if (entry !== undefined) {
      entry.remaining -= 1;
      if (entry.remaining === 0) this.#script.splice(index, 1);
      return entry.fault.kind === 'pass' ? undefined : entry.fault;
    }
    for (const { rule, random } of this.#rates) {
      if (!faultMatches({ kind: 'pass', route: rule.route, standard: rule.standard }, request)) continue;
      if (random() >= rule.probability) continue;
      const candidates = rule.faults.filter((fault) => faultMatches(fault, request));
      const chosen = candidates[Math.floor(random() * candidates.length)];
      if (chosen !== undefined && chosen.kind !== 'pass') return chosen;
    }
    return undefined;
  }
}
