/** Tasks in the new-standard shape (NEW §3.4, §3.5); legacy-created tasks are shown this way on `/tasks` too. */
import { formatUnits } from './pricing.js';
import type { SimTask } from './tasks.js';

/** NEW §3.4: create response `data` (no outputs, billing or message). `external_id` only when one was given. */
export function newCreateData(task: SimTask): Record<string, unknown> {
  return {
    id: task.id,
    status: 'submitted',
    create_time: task.createdAt,
    update_time: task.createdAt,
    ...(task.spec.externalId === undefined ? {} : { external_id: task.spec.externalId }),
  };
}

/**
 * NEW §3.5: the task object. `outputs` stays `[]` until success; `billing` appears once units were deducted
 * (`charge_type: "unit"`, `amount` a decimal string, `package_type: "video"`), unless `billing: false`
 * (the `newTaskBilling: 'omit'` option); failures carry `message`.
 */
export function newTaskObject(task: SimTask, mediaUrl: (token: string) => string, presentation: { billing?: boolean } = {}): Record<string, unknown> {
  const succeeded = task.status === 'succeeded';
  return {
    id: task.id,
    status: task.status,
    message: task.statusMessage,
    create_time: task.createdAt,
    update_time: task.updatedAt,
    ...(task.spec.externalId === undefined ? {} : { external_id: task.spec.externalId }),
    outputs: succeeded
      ? task.videos.map((video) => ({
          type: 'video',
          id: video.id,
          url: mediaUrl(video.token),
          ...(video.watermarkToken === undefined ? {} : { watermark_url: mediaUrl(video.watermarkToken) }),
          duration: video.duration,
        }))
      : [],
    ...(presentation.billing !== false && task.chargedUnits !== undefined
      ? { billing: [{ charge_type: 'unit', amount: formatUnits(task.chargedUnits), package_type: 'video' }] }
      : {}),
  };
}
