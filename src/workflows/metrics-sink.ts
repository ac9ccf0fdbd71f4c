import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { GenerationFinishedEvent } from '../contract/outcome.js';
import type { AccountSlotsEvent } from '../contract/slot-messages.js';

/**
 * Workflow → worker metrics, through a Temporal sink: called once per generation when it ends, and not
 * called again when the workflow is replayed. The worker side (src/metrics/) turns it into Prometheus metrics.
 */
export interface KlingMetricsSinks extends Sinks {
  klingMetrics: {
    generationFinished(event: GenerationFinishedEvent): void;
    /** An `accountSlots` entity's counts changed (slots in use, waiters, capacity). */
    accountSlots(event: AccountSlotsEvent): void;
  };
}

export const { klingMetrics } = proxySinks<KlingMetricsSinks>();
