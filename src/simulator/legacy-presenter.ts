/** Tasks in the legacy shape (REF §4.2, §4.3). */
import { formatUnits } from './pricing.js';
import type { SimTask, TaskStatus } from './tasks.js';

/** NEW §1.1: legacy spells success `succeed`. */
const LEGACY_STATUS: Record<TaskStatus, string> = {
  submitted: 'submitted',
  processing: 'processing',
  succeeded: 'succeed',
  failed: 'failed',
};

/** REF §4.3 [3P]: `task_info` is `{}` when no external id was given. */
function taskInfo(task: SimTask): Record<string, string> {
  return task.spec.externalId === undefined ? {} : { external_task_id: task.spec.externalId };
}

/** REF §4.2: create response `data`. */
export function legacyCreateData(task: SimTask): Record<string, unknown> {
  return {
    task_id: task.id,
    task_status: 'submitted',
    task_info: taskInfo(task),
    created_at: task.createdAt,
    updated_at: task.createdAt,
  };
}

/**
 * REF §4.3: query `data`. A failed task is still HTTP 200 / code 0 / "SUCCEED", with an empty `task_result`
 * and the reason in `task_status_msg`; `final_unit_deduction` (a string) only once units were deducted.
 */
export function legacyTaskData(task: SimTask, mediaUrl: (token: string) => string): Record<string, unknown> {
  const data: Record<string, unknown> = {
    task_id: task.id,
    task_status: LEGACY_STATUS[task.status],
    task_status_msg: task.statusMessage,
    task_info: taskInfo(task),
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    task_result:
      task.status === 'succeeded'
        ? {
            videos: task.videos.map((video) => ({
              id: video.id,
              url: mediaUrl(video.token),
              ...(video.watermarkToken === undefined ? {} : { watermark_url: mediaUrl(video.watermarkToken) }),
              duration: video.duration,
            })),
          }
        : {},
  };
  if (task.spec.watermark) data.watermark_info = { enabled: true };
  // Set on success, and on failure only when the simulator is configured to charge failures.
  if (task.chargedUnits !== undefined) data.final_unit_deduction = formatUnits(task.chargedUnits);
  return data;
}
