import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { StoredVideo } from '../contract/generation.js';
import { KlingPhase } from '../contract/search-attributes.js';

/** Shows a phase in the Temporal UI: the KlingPhase search attribute and the current details. */
export function announcePhase(phase: string, details: string): void {
  upsertSearchAttributes([{ key: KlingPhase, value: phase }]);
  setCurrentDetails(`**${phase}** — ${details}`);
}

/**
 * The current details a failed run ends with (Temporal UI): the outcome, the failure's type and message, and the
 * next step: the `kling-video adopt …` command when the failure names a Kling task that may still be billed
 * (`details[0].adopt`, see withTaskReference). Shown with setCurrentDetails only: not a command, replay-safe.
 */
export function failureDetails(
  failure: { type?: string | null; message: string; details?: unknown[] | null },
  outcome: string,
  workflowId: string,
): string {
  const first = failure.details?.[0] as { adopt?: { taskId?: string; externalTaskId?: string } } | undefined;
  const adopt = first && typeof first === 'object' ? first.adopt : undefined;
  const next =
    adopt?.taskId && failure.type !== 'VideoGenerationFailed'
      ? `collect the task instead of paying for a new one: \`kling-video adopt ${adopt.taskId}\``
      : adopt?.externalTaskId && failure.type !== 'VideoGenerationFailed'
        ? `collect the task instead of paying for a new one: \`kling-video adopt ${adopt.externalTaskId} --by external-id\``
        : `\`kling-video result ${workflowId}\` shows the failure and its details`;
  return `**failed** — outcome \`${outcome}\`, ${failure.type ?? 'Error'}: ${failure.message}  \nnext: ${next}`;
}

/** Runs `fn` and adds its duration (workflow time) to `timings[name]`, also when it throws. */
export async function timedInto<K extends string, T>(timings: Record<K, number>, name: K, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] += Date.now() - t0;
  }
}

/** The stored object as a result reports it (`created` says only whether this attempt wrote it). */
export function storedLocation({ created: _created, ...location }: StoredVideo): Omit<StoredVideo, 'created'> {
  return location;
}
