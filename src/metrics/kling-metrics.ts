import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HttpEvent } from '../kling/index.js';
import { GenerationFinishedEvent } from '../contract/outcome.js';
import type { AccountSlotsEvent } from '../contract/slot-messages.js';

/** Phase durations range from milliseconds (validation) to the deadline (10 minutes by default) and beyond. */
const PHASE_BUCKETS_SECONDS = [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 3600];
const CALL_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface KlingMetricsOptions {
  /** Where the metrics live. Default: a fresh registry (not prom-client's global one, so tests stay isolated). */
  registry?: Registry;
  /**
   * Whether a model name may become a label value. A refused request can carry any text as its model; such
   * names are counted as `other` so a typo cannot create new time series. Default: every name is kept.
   */
  isKnownModel?: (model: string) => boolean;
  /**
   * Also register prom-client's default metrics (`process_*`: CPU, resident memory, open file descriptors;
   * `nodejs_*`: heap, event-loop lag, GC, active handles) on this registry. The worker turns them on; default off,
   * since they sample the process (and one process should collect them into one registry only).
   */
  processMetrics?: boolean;
}

/**
 * The project's own Prometheus metrics (names, types and labels are listed in docs/metrics.md).
 * Fed from three places: the workflow's `generationFinished` sink (outcomes, credits, phase durations), the
 * Kling client's HTTP observer (API calls) and the rehost activity (bytes stored).
 */
export class KlingMetrics {
  readonly registry: Registry;
  readonly videos: Counter<'outcome' | 'model'>;
  readonly adoptions: Counter<'outcome'>;
  readonly creditsEstimated: Counter<'outcome' | 'model'>;
  readonly creditsActual: Counter<'outcome' | 'model'>;
  /** `kling_credit_drift_runs_total`: generations whose deduction drifted beyond the tolerance (a count of runs). */
  readonly creditDrift: Counter<'model'>;
  /** `kling_credit_drift_credits_total`: |deduction − estimate| in credits, by direction (over, under). */
  readonly creditDriftCredits: Counter<'model' | 'direction'>;
  readonly apiCalls: Counter<'operation' | 'standard' | 'http_status' | 'code'>;
  readonly apiCallDuration: Histogram<'operation' | 'standard'>;
  readonly rehostBytes: Counter;
  readonly phaseDuration: Histogram<'phase' | 'outcome'>;
  /** Account-wide slot admission (docs/slots.md): slots held, waiters and grantable slots per bucket. */
  readonly accountSlotsInUse: Gauge<'bucket'>;
  readonly accountSlotWaiters: Gauge<'bucket'>;
  readonly accountSlotCapacity: Gauge<'bucket'>;
  readonly #isKnownModel: (model: string) => boolean;

  constructor(options: KlingMetricsOptions = {}) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    this.#isKnownModel = options.isKnownModel ?? (() => true);
    this.videos = new Counter({
      name: 'kling_videos_total',
      help: 'Generations finished, by outcome and model.',
      labelNames: ['outcome', 'model'],
      registers,
    });
    this.adoptions = new Counter({
      name: 'kling_adoptions_total',
      help: 'Adoptions of existing Kling tasks (adoptVideo) finished, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.creditsEstimated = new Counter({
      name: 'kling_credits_estimated_total',
      help: 'Credits estimated before submission, summed over finished generations.',
      labelNames: ['outcome', 'model'],
      registers,
    });
    this.creditsActual = new Counter({
      name: 'kling_credits_actual_total',
      help: 'Credits Kling reported deducting, summed over finished generations.',
      labelNames: ['outcome', 'model'],
      registers,
    });
    this.creditDrift = new Counter({
      name: 'kling_credit_drift_runs_total',
      help: 'Generations (runs, not credits) whose deducted credits differed from the estimate by more than the tolerance.',
      labelNames: ['model'],
      registers,
    });
    this.creditDriftCredits = new Counter({
      name: 'kling_credit_drift_credits_total',
      help: "Credits by which the delivered task's deduction differed from the estimate (absolute, any size), by direction: over (deducted more) or under.",
      labelNames: ['model', 'direction'],
      registers,
    });
    this.apiCalls = new Counter({
      name: 'kling_api_calls_total',
      help: 'Kling API calls by operation, standard, HTTP status and Kling business code ("none" when absent).',
      labelNames: ['operation', 'standard', 'http_status', 'code'],
      registers,
    });
    this.apiCallDuration = new Histogram({
      name: 'kling_api_call_duration_seconds',
      help: 'Duration of Kling API calls, including failed ones.',
      labelNames: ['operation', 'standard'],
      buckets: CALL_BUCKETS_SECONDS,
      registers,
    });
    this.rehostBytes = new Counter({ name: 'kling_rehost_bytes_total', help: 'Video bytes downloaded from Kling and stored.', registers });
    this.phaseDuration = new Histogram({
      name: 'kling_phase_duration_seconds',
      help: 'Time a finished generation spent per phase it entered (validating, approving, submitting, generating, rehosting); none for phases it never reached.',
      labelNames: ['phase', 'outcome'],
      buckets: PHASE_BUCKETS_SECONDS,
      registers,
    });
    this.accountSlotsInUse = new Gauge({
      name: 'kling_account_slots_in_use',
      help: "Slots of a concurrency bucket held by generations (account-wide admission, KLING_SLOTS), as the bucket's entity last reported.",
      labelNames: ['bucket'],
      registers,
    });
    this.accountSlotWaiters = new Gauge({
      name: 'kling_account_slot_waiters',
      help: 'Generations waiting for a slot of a concurrency bucket (phase waiting_for_slot).',
      labelNames: ['bucket'],
      registers,
    });
    this.accountSlotCapacity = new Gauge({
      name: 'kling_account_slot_capacity',
      help: 'Slots of a concurrency bucket grantable now: the configured count minus the estimate of tasks created outside the project.',
      labelNames: ['bucket'],
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one finished generation (the worker side of the `klingMetrics.generationFinished` sink). */
  recordGeneration(input: GenerationFinishedEvent): void {
    const parsed = GenerationFinishedEvent.safeParse(input);
    if (!parsed.success)
      throw new Error(`generationFinished event: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
    const event = parsed.data;
    const labels = { outcome: event.outcome, model: this.#modelLabel(event.model) };
    if (event.adopted) {
      // Counted apart, and without credits: the generation that left the task may have counted its deduction already.
      this.adoptions.inc({ outcome: event.outcome });
      for (const [phase, ms] of Object.entries(event.phaseDurationsMs))
        if (ms >= 0) this.phaseDuration.observe({ phase, outcome: event.outcome }, ms / 1000);
      return;
    }
    this.videos.inc(labels);
    if (event.creditsEstimated !== undefined) this.creditsEstimated.inc(labels, event.creditsEstimated);
    if (event.creditsActual !== undefined) this.creditsActual.inc(labels, event.creditsActual);
    if (event.creditDrift) this.creditDrift.inc({ model: labels.model });
    if (event.driftCredits !== undefined && event.driftCredits !== 0)
      this.creditDriftCredits.inc({ model: labels.model, direction: event.driftCredits > 0 ? 'over' : 'under' }, Math.abs(event.driftCredits));
    for (const [phase, ms] of Object.entries(event.phaseDurationsMs))
      if (ms >= 0) this.phaseDuration.observe({ phase, outcome: event.outcome }, ms / 1000);
  }

  /** The worker side of the `klingMetrics.accountSlots` sink: the bucket's entity reported new counts. */
  recordAccountSlots(event: AccountSlotsEvent): void {
    const labels = { bucket: event.bucket };
    this.accountSlotsInUse.set(labels, event.inUse);
    this.accountSlotWaiters.set(labels, event.waiting);
    this.accountSlotCapacity.set(labels, event.capacity);
  }

  /** The Kling client's `onHttpEvent` observer. An arrow function: pass it as is. */
  readonly observeKlingCall = (event: HttpEvent): void => {
    const { operation, standard } = event;
    this.apiCalls.inc({
      operation,
      standard,
      http_status: event.httpStatus === undefined ? 'none' : String(event.httpStatus),
      code: event.code === undefined ? 'none' : String(event.code),
    });
    this.apiCallDuration.observe({ operation, standard }, event.durationMs / 1000);
  };

  /** Called by the rehost activity after a video was stored (not when an earlier attempt had stored it). */
  readonly addRehostedBytes = (bytes: number): void => {
    if (bytes > 0) this.rehostBytes.inc(bytes);
  };

  #modelLabel(model: string | undefined): string {
    if (model === undefined) return 'none';
    return this.#isKnownModel(model) ? model : 'other';
  }
}
