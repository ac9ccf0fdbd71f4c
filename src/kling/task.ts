import { z } from 'zod';
import { ApiStandard, VideoKind } from './catalog.js';

/** One status vocabulary for both standards: legacy `succeed` and new `succeeded` both become `succeeded`. */
export const TaskStatus = z.enum(['submitted', 'processing', 'succeeded', 'failed']);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const TaskVideo = z.object({
  id: z.string(),
  /** Kling's CDN URL: temporary (hotlink-protected, cleared after at most 30 days). Rehost it; never store it. */
  url: z.string(),
  watermarkUrl: z.string().optional(),
  durationSeconds: z.number().optional(),
});
export type TaskVideo = z.infer<typeof TaskVideo>;

/** How to find a task again: its standard, kind (legacy queries are scoped per family) and ids. */
export const TaskRef = z.object({
  standard: ApiStandard,
  kind: VideoKind,
  taskId: z.string().optional(),
  externalTaskId: z.string().optional(),
});
export type TaskRef = z.infer<typeof TaskRef>;

/** A task normalised from either standard. A `failed` task is a value with its message, not an exception. */
export const KlingTask = z.object({
  taskId: z.string(),
  externalTaskId: z.string().optional(),
  standard: ApiStandard,
  kind: VideoKind,
  status: TaskStatus,
  /** Legacy `task_status_msg` / new `message`: the failure reason (e.g. content moderation). */
  statusMessage: z.string().optional(),
  createdAt: z.number().optional(),
  updatedAt: z.number().optional(),
  videos: z.array(TaskVideo),
  /** Units Kling deducted (legacy `final_unit_deduction`, new `billing[].amount` of unit charges). */
  unitsDeducted: z.number().optional(),
});
export type KlingTask = z.infer<typeof KlingTask>;

export function isTerminal(status: TaskStatus): boolean {
  return status === 'succeeded' || status === 'failed';
}
