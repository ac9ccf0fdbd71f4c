import type { Logger } from '@temporalio/common';
import type { InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { KlingTaskId } from '../contract/search-attributes.js';
import type { KlingMetricsSinks } from '../workflows/metrics-sink.js';
import type { KlingMetrics } from './kling-metrics.js';

/** The Kling task id the workflow last upserted (the `KlingTaskId` search attribute), if any. */
export function klingTaskIdOf(info: WorkflowInfo): string | undefined {
  try {
    const typed = info.typedSearchAttributes?.get(KlingTaskId);
    if (typed) return typed;
  } catch {
    // Older histories may carry untyped attributes only.
  }
  const untyped = (info.searchAttributes as Record<string, unknown[] | undefined> | undefined)?.KlingTaskId?.[0];
  return typeof untyped === 'string' ? untyped : undefined;
}

/**
 * The worker side of `klingMetrics.generationFinished`: one call per generation, never during replay (so a
 * worker that replays a history after a restart does not count it twice). Records the metrics when there
 * are any, and writes one log line per finished generation, with the workflow id and Kling task id. Always
 * registered: a workflow calling an unregistered sink makes the SDK log an error.
 */
export function klingMetricsSinks(options: { metrics?: KlingMetrics; logger?: Logger }): InjectedSinks<KlingMetricsSinks> {
  const { metrics, logger } = options;
  return {
    klingMetrics: {
      generationFinished: {
        fn(info, event) {
          metrics?.recordGeneration(event);
          const klingTaskId = klingTaskIdOf(info);
          logger?.info('generation finished', {
            sdkComponent: 'worker',
            workflowId: info.workflowId,
            runId: info.runId,
            ...(klingTaskId ? { klingTaskId } : {}),
            outcome: event.outcome,
            model: event.model,
            creditsEstimated: event.creditsEstimated,
            creditsActual: event.creditsActual,
          });
        },
        callDuringReplay: false,
      },
      accountSlots: {
        fn(_info, event) {
          metrics?.recordAccountSlots(event);
        },
        callDuringReplay: false,
      },
    },
  };
}
