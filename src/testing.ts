// `kling-temporal/testing`: the Kling simulator (a local fake of both Kling API standards and the CDN) and
// replayHistories(), which replays recorded workflow histories against this package's workflows, so an upgrade
// that would break running generations (a non-deterministic change) fails in your CI first.
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker, type ReplayWorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import { klingMetricsSinks } from './metrics/sink.js';
import { workflowIdFromExternalTaskId } from './contract/constants.js';
import { workflowBundleOptions, workflowInterceptorModules, workflowsPath } from './worker.js';

export * from './simulator/index.js';

/** One history to replay. */
export interface ReplayHistoryInput {
  /** The history: the JSON `temporal workflow show --output json` writes (`{ "events": [...] }`), or a History proto. */
  history: unknown;
  /** The id it ran under. Default: read back from the history where the workflow depends on it (see replayHistories), else `name`. */
  workflowId?: string;
  /** A label for the result (a file's name when read from disk). */
  name?: string;
}

/** The outcome of replaying one history: no `error` means the current workflow code replays it deterministically. */
export interface ReplayedHistory {
  name: string;
  workflowId: string;
  error?: Error;
}

export interface ReplayHistoriesOptions {
  /**
   * A prebuilt bundle of this package's workflows (`bundleWorkflowCode(workflowBundleOptions())`). Default: bundled
   * now from workflowsPath(), as createKlingWorker bundles it.
   */
  workflowBundle?: WorkflowBundle;
  /** Further replay worker options (a logger, a data converter…). */
  replayWorkerOptions?: Omit<ReplayWorkerOptions, 'workflowsPath' | 'workflowBundle'>;
}

/**
 * Replays histories against this package's workflows (one replay worker, one workflow bundle) and returns one
 * result per history, in order; a result with an `error` (a DeterminismViolationError, a ReplayError) is a history
 * the current code would not resume. `source` is a directory (every `*.json` in it, by name), a `.json` file, or a
 * list of files and/or histories.
 *
 *   const results = await replayHistories('test/histories');
 *   expect(results.filter((r) => r.error)).toEqual([]);
 *
 * Histories do not record their workflow id, and a batch (which names its children `<batch id>-<index>`) and a
 * generation (whose Kling external task id embeds it) depend on it: without `workflowId`, it is read back from the
 * first child workflow's id or the first submission's external task id; other histories replay under their name.
 */
export async function replayHistories(
  source: string | ReadonlyArray<string | ReplayHistoryInput>,
  options: ReplayHistoriesOptions = {},
): Promise<ReplayedHistory[]> {
  const inputs = await loadHistories(source);
  const histories = inputs.map((input, i) => {
    const name = input.name ?? `history-${i}`;
    return { name, workflowId: input.workflowId ?? recordedWorkflowId(input.history) ?? name, history: historyMessage(input.history) };
  });
  if (histories.length === 0) return [];
  // The workflows call the klingMetrics sink (never during replay): registered, so the SDK logs no "unregistered sink" error.
  const base: ReplayWorkerOptions = { ...options.replayWorkerOptions, sinks: { ...klingMetricsSinks({}), ...options.replayWorkerOptions?.sinks } };
  const workerOptions: ReplayWorkerOptions = options.workflowBundle
    ? { ...base, workflowBundle: options.workflowBundle }
    : {
        ...base,
        workflowsPath: workflowsPath(),
        bundlerOptions: { ...options.replayWorkerOptions?.bundlerOptions, preloadModules: workflowBundleOptions().preloadModules },
        interceptors: {
          ...options.replayWorkerOptions?.interceptors,
          workflowModules: [...workflowInterceptorModules(), ...(options.replayWorkerOptions?.interceptors?.workflowModules ?? [])],
        },
      };
  const results: ReplayedHistory[] = [];
  for await (const result of Worker.runReplayHistories(workerOptions, histories)) {
    const replayed = histories[results.length];
    results.push({ name: replayed?.name ?? result.workflowId, workflowId: result.workflowId, ...(result.error ? { error: result.error } : {}) });
  }
  return results;
}

async function loadHistories(source: string | ReadonlyArray<string | ReplayHistoryInput>): Promise<ReplayHistoryInput[]> {
  if (typeof source === 'string') {
    if ((await stat(source)).isDirectory()) {
      const files = (await readdir(source)).filter((f) => f.endsWith('.json')).sort();
      return await Promise.all(files.map((f) => readHistoryFile(path.join(source, f))));
    }
    return [await readHistoryFile(source)];
  }
  return await Promise.all(source.map((item) => (typeof item === 'string' ? readHistoryFile(item) : item)));
}

async function readHistoryFile(file: string): Promise<ReplayHistoryInput> {
  return { name: path.basename(file).replace(/\.json$/, ''), history: JSON.parse(await readFile(file, 'utf8')) as unknown };
}

interface HistoryJson {
  events?: Array<
    Record<string, { workflowId?: string; activityType?: { name?: string }; input?: { payloads?: Array<{ data?: string }> } } | undefined>
  >;
}

/** The workflow id a JSON history ran under, where its commands depend on it (see replayHistories). */
function recordedWorkflowId(history: unknown): string | undefined {
  const events = (history as HistoryJson | undefined)?.events;
  if (!Array.isArray(events)) return undefined;
  for (const event of events) {
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (child !== undefined) return /^(.+)-\d+$/.exec(child)?.[1];
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'submitVideoTask') {
      const data = scheduled.input?.payloads?.[0]?.data;
      if (!data) return undefined;
      try {
        const { externalTaskId } = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { externalTaskId?: unknown };
        return typeof externalTaskId === 'string' ? workflowIdFromExternalTaskId(externalTaskId) : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

const requireHere = createRequire(import.meta.url);
let historyFromProtoJson: ((json: unknown) => unknown) | undefined;

/**
 * A JSON history as a History message, parsed with the protobufjs copy of the @temporalio/proto the worker encodes
 * with. The worker parses JSON itself with @temporalio/common's protobufjs, which fails ("type must be a Type") when
 * npm gives each Temporal package its own protobufjs 8 copy: what happens in a project whose root protobufjs is
 * the 7.x of @grpc/proto-loader, e.g. one that depends on kling-temporal and @temporalio/client. A history that is
 * already a message (or that this cannot parse) is left to the worker.
 */
function historyMessage(history: unknown): unknown {
  const events = (history as { events?: Array<{ eventId?: unknown }> } | null | undefined)?.events;
  if (!Array.isArray(events) || typeof events[0]?.eventId !== 'string') return history;
  try {
    historyFromProtoJson ??= workerHistoryParser();
    return historyFromProtoJson(fixJsonEnums(history as { events: Array<Record<string, unknown>> }));
  } catch {
    return history;
  }
}

function workerHistoryParser(): (json: unknown) => unknown {
  const fromWorker = createRequire(requireHere.resolve('@temporalio/worker'));
  const protoMain = fromWorker.resolve('@temporalio/proto');
  const root = fromWorker('@temporalio/proto') as { lookupType(name: string): unknown };
  const { fromJson } = createRequire(protoMain)('protobufjs/ext/protojson') as {
    fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
  };
  const historyType = root.lookupType('temporal.api.history.v1.History');
  return (json) => {
    const message = fromJson(historyType, json, { ignoreUnknownFields: true });
    if (message === null || message === undefined) throw new TypeError('invalid history');
    return message;
  };
}

/** Enum values older exports write in PascalCase (`WorkflowExecutionStarted`) as proto3 JSON names, as @temporalio/common's historyFromJSON does. */
function fixJsonEnums(history: { events: Array<Record<string, unknown>> }): { events: Array<Record<string, unknown>> } {
  const constantCase = (s: string) => s.replace(/\B(?=[A-Z])/g, '_').toUpperCase();
  const fix = (obj: Record<string, unknown> | undefined, attr: string, prefix: string) => {
    const value = obj?.[attr];
    return typeof value === 'string' && !value.startsWith(prefix) ? { [attr]: `${prefix}_${constantCase(value)}` } : {};
  };
  return {
    events: history.events.map((event) => {
      const key = Object.keys(event).find((k) => k.endsWith('EventAttributes'));
      const attributes = key ? (event[key] as Record<string, unknown> | undefined) : undefined;
      if (!key || !attributes) return { ...event, ...fix(event, 'eventType', 'EVENT_TYPE') };
      const taskQueue = attributes.taskQueue as Record<string, unknown> | undefined;
      const childFailure = attributes.childWorkflowExecutionFailureInfo as Record<string, unknown> | undefined;
      return {
        ...event,
        ...fix(event, 'eventType', 'EVENT_TYPE'),
        [key]: {
          ...attributes,
          ...(taskQueue ? { taskQueue: { ...taskQueue, ...fix(taskQueue, 'kind', 'TASK_QUEUE_KIND') } } : {}),
          ...fix(attributes, 'parentClosePolicy', 'PARENT_CLOSE_POLICY'),
          ...fix(attributes, 'workflowIdReusePolicy', 'WORKFLOW_ID_REUSE_POLICY'),
          ...fix(attributes, 'initiator', 'CONTINUE_AS_NEW_INITIATOR'),
          ...fix(attributes, 'retryState', 'RETRY_STATE'),
          ...(childFailure ? { childWorkflowExecutionFailureInfo: { ...childFailure, ...fix(childFailure, 'retryState', 'RETRY_STATE') } } : {}),
        },
      };
    }),
  };
}
