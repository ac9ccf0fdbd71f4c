import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { StoredVideo } from '../shared/generation.js';
import { KlingPhase } from '../shared/search-attributes.js';

/** Shows a phase in the Temporal UI: the KlingPhase search attribute and the current details. */
export function announcePhase(phase: string, details: string): void {
  upsertSearchAttributes([{ key: KlingPhase, value: phase }]);
  setCurrentDetails(`**${phase}** — ${details}`);
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
