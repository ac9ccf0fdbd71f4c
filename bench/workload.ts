// The benchmark's workload: one cheap text-to-video request (the `npm start` sample), a simulator whose
// tasks take a fixed generation time, and the arithmetic of the "ideal" wall time.
import { SAMPLE_REQUEST } from '../src/cli/dev/stack.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';
import type { GenerateVideoInput } from '../src/contract/generation.js';
import { nextPollInterval } from '../src/workflows/poll-schedule.js';

/** The request every benchmarked generation sends (kling-2.6, 5 s, 720p, silent). */
export const BENCH_REQUEST: Record<string, unknown> = { ...SAMPLE_REQUEST };

/** The workflow's poll schedule in milliseconds (the workflow option `poll`). */
export interface PollPlan {
  initialMs: number;
  backoffCoefficient: number;
  maxMs: number;
}

/**
 * A simulator whose every task is done `generationMs` after its create: a short `submitted` phase, the rest
 * `processing`. No concurrency limit (the benchmark measures the orchestration, not Kling's 1303 answers).
 */
export async function startBenchSimulator(options: {
  generationMs: number;
  videoSizeBytes: number;
  callbacks?: SimulatorOptions['callbacks'];
}): Promise<Simulator> {
  const submittedMs = Math.min(1_000, Math.floor(options.generationMs / 5));
  return startSimulator({
    schedule: { submittedMs, processingMs: options.generationMs - submittedMs },
    concurrency: { limit: 1_000_000 },
    unitBalance: 1e12,
    videoSizeBytes: options.videoSizeBytes,
    ...(options.callbacks ? { callbacks: options.callbacks } : {}),
  });
}

/** The workflow options for a poll plan (and a deadline that cannot cut a long generation short). */
export function workflowOptions(poll: PollPlan, generationMs: number): NonNullable<GenerateVideoInput['options']> {
  return {
    poll: { initialInterval: poll.initialMs, backoffCoefficient: poll.backoffCoefficient, maxInterval: poll.maxMs },
    deadline: Math.max(10 * 60_000, 3 * generationMs),
  };
}

/**
 * When the workflow's poll schedule looks at a task that is done after `generationMs`: `floor` is the first
 * scheduled status check at or after that moment (submission = 0), `interval` the wait that ended there -
 * "one poll interval" of the ideal.
 */
export function pollScheduleAt(poll: PollPlan, generationMs: number): { floorMs: number; intervalMs: number } {
  let t = 0;
  let interval = poll.initialMs;
  let last = interval;
  while (t < generationMs) {
    t += interval;
    last = interval;
    interval = nextPollInterval(interval, poll.backoffCoefficient, poll.maxMs);
  }
  return { floorMs: t, intervalMs: last };
}

/** The ideal wall time of a batch: generation time + one poll interval (the interval in effect at that time). */
export function idealMs(poll: PollPlan, generationMs: number): number {
  return generationMs + pollScheduleAt(poll, generationMs).intervalMs;
}
