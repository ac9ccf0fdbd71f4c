/**
 * The two callback bodies (docs/reference/kling-api.md §4.5: the legacy bare `data` object; docs/reference/kling-api-new-standard.md §4: the
 * new task object) reduced to what waking a workflow needs. The shapes themselves are the Kling wire modules'.
 */
import type { TaskStatus } from '../kling/index.js';
import { LegacyTaskData } from '../kling/wire-legacy.js';
import { NewTaskData } from '../kling/wire-new.js';

export interface KlingCallback {
  standard: 'legacy' | 'new';
  taskId: string;
  /** Absent on the console's test callback and on tasks created without one. */
  externalTaskId: string | undefined;
  /** Normalised: legacy `succeed` is `succeeded`. */
  status: TaskStatus;
}

export class MalformedCallbackError extends Error {
  override readonly name = 'MalformedCallbackError';
}

/** Parses a raw callback body; throws MalformedCallbackError (naming the problem, never echoing the body). */
export function parseCallbackBody(rawBody: Buffer): KlingCallback {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new MalformedCallbackError('body is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new MalformedCallbackError('body is not a JSON object');
  if ('task_id' in json) {
    const parsed = LegacyTaskData.safeParse(json);
    if (!parsed.success) throw new MalformedCallbackError(`legacy callback: ${issues(parsed.error)}`);
    const d = parsed.data;
    return {
      standard: 'legacy',
      taskId: d.task_id,
      externalTaskId: d.task_info?.external_task_id || undefined,
      status: d.task_status === 'succeed' ? 'succeeded' : d.task_status,
    };
  }
  if ('id' in json) {
    const parsed = NewTaskData.safeParse(json);
    if (!parsed.success) throw new MalformedCallbackError(`callback: ${issues(parsed.error)}`);
    const d = parsed.data;
    return { standard: 'new', taskId: d.id, externalTaskId: d.external_id || undefined, status: d.status === 'succeed' ? 'succeeded' : d.status };
  }
  throw new MalformedCallbackError('neither a legacy (task_id) nor a new-standard (id) task object');
}

function issues(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
}
