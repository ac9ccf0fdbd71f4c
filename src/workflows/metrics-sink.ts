import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { GenerationFinishedEvent } from '../contract/outcome.js';

/**
 * Workflow → worker metrics, through a Temporal sink: called once per generation when it ends, and not
 * called again when the workflow is replayed. The worker side (src/metrics/) turns it into Prometheus metrics.
 */
export interface KlingMetricsSinks extends Sinks {
  klingMetrics: {
    generationFinished(event: GenerationFinishedEvent): void;
  };
}

export const { klingMetrics } = proxySinks<KlingMetricsSinks>();
