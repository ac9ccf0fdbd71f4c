// The floor row (issue 16), main-process side: which bare poll loops exist (bench/floor-workflows.ts), how they
// are labelled, and the bare worker's tuning. bench/scale.ts runs them with the same machinery as the project row.
import { InvalidArgumentError } from 'commander';

export const FLOOR_VARIANTS = ['a', 'b', 'c'] as const;
export type FloorVariant = (typeof FLOOR_VARIANTS)[number];

/** Workflow type per variant (the function names of bench/floor-workflows.ts). */
export const FLOOR_WORKFLOW_TYPES: Record<FloorVariant, string> = {
  a: 'floorActivityTimer',
  b: 'floorActivityRetries',
  c: 'floorLocalActivityTimer',
};

export const FLOOR_LABELS: Record<FloorVariant, string> = {
  a: 'floor (a): activity + timer',
  b: 'floor (b): activity retries',
  c: 'floor (c): local activity + timer',
};

/** Issue 16's floor worker: 200 workflow-task slots, 400 activity slots (regular and local), a cache of N + 100. */
export const FLOOR_WORKER = { maxConcurrentWorkflowTaskExecutions: 200, maxConcurrentActivityTaskExecutions: 400, cacheAboveN: 100 };

/** `--floor-variants`: `a` (the default), `all`, `none`, or a list such as `a,c`. (a) always runs unless `none`. */
export function parseFloorVariants(value: string): FloorVariant[] {
  const v = value.trim();
  if (v === 'none') return [];
  if (v === 'all') return [...FLOOR_VARIANTS];
  const list = v.split(',').map((x) => x.trim());
  const bad = list.filter((x) => !(FLOOR_VARIANTS as readonly string[]).includes(x));
  if (bad.length > 0) throw new InvalidArgumentError(`unknown floor variant ${bad.join(', ')} (use a, b, c, all or none)`);
  return FLOOR_VARIANTS.filter((x) => x === 'a' || list.includes(x));
}
