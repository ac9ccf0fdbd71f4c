/** The read-only picture of a task that `sim.tasks()` returns. */
import type { ApiStandard, LegacyFamily, Product, Resolution } from './task-spec.js';
import { familyOfProduct } from './task-spec.js';
import type { SimTask, TaskStatus } from './tasks.js';
import type { TaskStore } from './tasks.js';

export interface SimTaskView {
  readonly id: string;
  readonly standard: ApiStandard;
  readonly product: Product;
  /** The legacy family path segment of the product (tasks are scoped to it on legacy routes). */
  readonly family: LegacyFamily;
  /** Legacy `model_name` or new path model id, as requested. */
  readonly model: string;
  readonly externalTaskId: string | undefined;
  /** Canonical status (`succeeded`; the legacy shape shows `succeed`). */
  readonly status: TaskStatus;
  /** The failure reason (`task_status_msg` / `message`), empty otherwise. */
  readonly statusMessage: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | undefined;
  readonly mode: string | undefined;
  readonly resolution: Resolution;
  readonly durationSeconds: number;
  readonly audio: boolean;
  /** What the task costs if it succeeds. */
  readonly units: number;
  /** What was charged: set on success only. */
  readonly chargedUnits: number | undefined;
  /** Create requests that carried this task's external id, refused duplicates included (1 without an external id). */
  readonly createRequestCount: number;
  /** Absolute result URLs (after success). */
  readonly videoUrls: readonly string[];
  /** The accepted request body. */
  readonly body: Readonly<Record<string, unknown>>;
}

export function viewTask(task: SimTask, store: TaskStore, mediaUrl: (token: string) => string): SimTaskView {
  const { spec } = task;
  return {
    id: task.id,
    standard: spec.standard,
    product: spec.product,
    family: familyOfProduct[spec.product],
    model: spec.model,
    externalTaskId: spec.externalId,
    status: task.status,
    statusMessage: task.statusMessage,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    finishedAt: task.finishedAt,
    mode: spec.mode,
    resolution: spec.resolution,
    durationSeconds: spec.durationSeconds,
    audio: spec.audio,
    units: task.units,
    chargedUnits: task.chargedUnits,
    createRequestCount: spec.externalId === undefined ? 1 : store.createRequestCount(spec.externalId),
    videoUrls: task.videos.map((video) => mediaUrl(video.token)),
    body: spec.body,
  };
}
