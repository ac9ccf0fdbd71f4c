import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import {
  KlingCredentialsError,
  zodIssues,
  type ApiStandard,
  type KlingClient,
  type KlingTask,
  type TaskRef,
  type VideoKind,
} from '../kling/index.js';
import { FailureType } from '../contract/failure-types.js';
import { AdoptVideoInput, type AdoptionPlan } from '../contract/generation.js';
import { toActivityFailure } from './failures.js';

export interface AdoptDeps {
  kling: KlingClient;
  /** Credits per Kling unit (the worker's pricing table). */
  creditsPerUnit: number;
  /** Base of every object name (e.g. `kling-videos`). */
  objectPrefix: string;
}

type Issue = { field: string; message: string };

function invalid(issues: Issue[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidVideoRequest,
    message: `Invalid adoption: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    nonRetryable: true,
    details: [{ issues }],
  });
}

/** Every legacy family a task may have been created in (REF §1.2): each answers for its own tasks only. */
const KINDS: VideoKind[] = ['text-to-video', 'image-to-video', 'omni-video', 'motion-control'];

/**
 * Where a task may be: the new standard's task query needs no family (its `kind` is only a label there); a legacy
 * query is scoped to its family (text2video, image2video, omni-video, motion-control). Narrowed by the caller's
 * `standard` and `kind`.
 */
function places(standard: ApiStandard | undefined, kind: VideoKind | undefined): Array<{ standard: ApiStandard; kind: VideoKind }> {
  const out: Array<{ standard: ApiStandard; kind: VideoKind }> = [];
  if (standard !== 'legacy') out.push({ standard: 'new', kind: kind ?? 'text-to-video' });
  if (standard !== 'new') for (const k of kind ? [kind] : KINDS) out.push({ standard: 'legacy', kind: k });
  return out;
}

/**
 * adoptVideo's first step: validates the input (issues name the field), finds the task where it can be, resolves
 * the durations and derives the object name from the adopting workflow (like generateVideo's: a hash of its id and
 * first run id, no user text). Never creates anything. Fails with KlingTaskNotFound naming the field when Kling
 * knows no such task. Places the worker has no credentials for are skipped (a place named by `standard` is not:
 * that fails with KlingCredentialsRejected). A task found through the new standard's query keeps the standard and
 * kind it was created with (see below).
 */
export async function planAdoption(
  deps: AdoptDeps,
  raw: unknown,
  workflow: { workflowId: string; firstExecutionRunId: string },
  signal?: AbortSignal,
): Promise<AdoptionPlan> {
  const parsed = AdoptVideoInput.safeParse(raw);
  if (!parsed.success) throw invalid(zodIssues(parsed.error));
  const input = parsed.data;
  const given = (['taskId', 'externalTaskId', 'id'] as const).filter((k) => input[k] !== undefined);
  if (given.length !== 1)
    throw invalid([{ field: given.length ? given.join(', ') : 'taskId', message: 'give exactly one of taskId, externalTaskId or id' }]);
  // Parsed once: the options come back complete, every duration in milliseconds.
  const opts = input.options;

  const field = given[0]!;
  const id = input[field]!;
  const lookups: Array<{ by: 'taskId' | 'externalTaskId' }> = field === 'id' ? [{ by: 'taskId' }, { by: 'externalTaskId' }] : [{ by: field }];
  const lookedIn: string[] = [];
  const skipped: string[] = [];
  let found: KlingTask | undefined;
  search: for (const place of places(input.standard, input.kind)) {
    for (const { by } of lookups) {
      const ref: TaskRef = { standard: place.standard, kind: place.kind, [by]: id };
      const where = `${place.standard}${place.standard === 'legacy' ? ` ${place.kind}` : ''}`;
      try {
        found = await deps.kling.getTask(ref, { signal });
      } catch (err) {
        // No credentials for this standard (refused before anything was sent): this worker cannot look there.
        if (err instanceof KlingCredentialsError && !input.standard) {
          skipped.push(`${where} (no credentials for it)`);
          continue search;
        }
        throw toActivityFailure(err);
      }
      lookedIn.push(`${where} by ${by}`);
      if (found) break search;
    }
  }
  if (!found)
    throw ApplicationFailure.create({
      type: FailureType.KlingTaskNotFound,
      message: `${field}: Kling knows no task "${id}" (looked in: ${lookedIn.join('; ')}${skipped.length ? `; not looked in: ${skipped.join('; ')}` : ''})`,
      nonRetryable: true,
      details: [{ issues: [{ field, message: `Kling knows no task "${id}"` }], lookedIn, ...(skipped.length ? { skipped } : {}) }],
    });
  // `GET /tasks` lists legacy-created tasks too and names neither standard nor kind: unless the caller said `new`,
  // ask the legacy families, whose answer does tell. Only a task none of them knows is a new-standard one, and its
  // kind is then unknown unless the caller gave it (recorded absent, not guessed).
  let kindKnown = input.kind !== undefined || found.standard === 'legacy';
  if (found.standard === 'new' && !input.standard) {
    for (const place of places('legacy', input.kind)) {
      let legacy: KlingTask | undefined;
      try {
        legacy = await deps.kling.getTask({ standard: 'legacy', kind: place.kind, taskId: found.taskId }, { signal });
      } catch (err) {
        throw toActivityFailure(err);
      }
      if (legacy) {
        found = legacy;
        kindKnown = true;
        break;
      }
    }
  }

  const hash = createHash('sha256').update(`${workflow.workflowId}/${workflow.firstExecutionRunId}`).digest('hex').slice(0, 32);
  const { statusStartToClose, rehostHeartbeat, rehostRetryInitialInterval } = opts.activityTimeouts;
  const timeouts = Object.keys(opts.activityTimeouts).length > 0;
  return {
    task: {
      taskId: found.taskId,
      // Empty when the task was created without one (the result then omits it).
      externalTaskId: found.externalTaskId ?? '',
      standard: found.standard,
      ...(kindKnown ? { kind: found.kind } : {}),
      adopted: true,
    },
    snapshot: { status: found.status, statusMessage: found.statusMessage, unitsDeducted: found.unitsDeducted },
    creditsPerUnit: deps.creditsPerUnit,
    deadlineMs: opts.deadline,
    ...(opts.queuedDeadline !== undefined ? { queuedDeadlineMs: opts.queuedDeadline } : {}),
    ...(opts.processingDeadline !== undefined ? { processingDeadlineMs: opts.processingDeadline } : {}),
    poll: { initialMs: opts.poll.initialInterval, backoffCoefficient: opts.poll.backoffCoefficient, maxMs: opts.poll.maxInterval },
    objectName: [deps.objectPrefix, opts.destination.prefix, `${hash}.mp4`].filter(Boolean).join('/'),
    // adoptVideo neither validates nor submits: only the timeouts it uses.
    ...(timeouts ? { activityTimeoutsMs: { statusStartToClose, rehostHeartbeat, rehostRetryInitialInterval } } : {}),
  };
}
