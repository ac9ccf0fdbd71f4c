/**
 * What happened to each callback, as a plain object (`receiver.counters()`) and, when a prom-client registry is
 * given, as `kling_callbacks_total{outcome}` next to the worker's other metrics.
 */
import { Counter, type Registry } from 'prom-client';

export const CALLBACK_OUTCOMES = [
  /** Verified, parsed, new: the workflow was signalled. */
  'signalled',
  /** Same webhook id (a redelivery), or a progress status already seen for the task: acknowledged, nobody woken. */
  'duplicate',
  /** A progress status behind one already seen (e.g. `processing` after `succeeded`): acknowledged, nobody woken. */
  'out_of_order',
  /** No external id, or one this project did not derive (another client on the account; the console's test callback). */
  'unknown_task',
  /** The derived workflow does not exist or has finished: acknowledged. */
  'unknown_workflow',
  /** Signature headers missing, signature wrong, or timestamp outside the tolerance: 401. */
  'rejected_signature',
  /** Not a Kling task object: 400. */
  'malformed',
  /** Not sent as JSON (Content-Type other than `application/json`): 415. */
  'unsupported_media_type',
  /** Temporal could not be reached: 503, so a retrying sender tries again; polling covers it otherwise. */
  'signal_failed',
] as const;
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

export type CallbackCountersSnapshot = Record<CallbackOutcome, number>;

export class CallbackCounters {
  readonly #counts = Object.fromEntries(CALLBACK_OUTCOMES.map((o) => [o, 0])) as CallbackCountersSnapshot;
  readonly #metric: Counter<'outcome'> | undefined;

  constructor(registry?: Registry) {
    if (!registry) return;
    const existing = registry.getSingleMetric('kling_callbacks_total');
    this.#metric =
      (existing as Counter<'outcome'> | undefined) ??
      new Counter({ name: 'kling_callbacks_total', help: 'Kling callbacks received, by outcome.', labelNames: ['outcome'], registers: [registry] });
    // Every outcome exported from the start (0), so a rate() of a rare one has a series to work on.
    for (const outcome of CALLBACK_OUTCOMES) this.#metric.inc({ outcome }, 0);
  }

  add(outcome: CallbackOutcome): void {
    this.#counts[outcome] += 1;
    this.#metric?.inc({ outcome });
  }

  snapshot(): CallbackCountersSnapshot {
    return { ...this.#counts };
  }
}
