import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/** Attribute names whose values are never written, whatever put them there (defence in depth: none should). */
const SECRET_KEY = /authorization|api[-_]?key|secret|password|passwd|credential|bearer|jwt|token/i;

/** Error objects carry their name and message (their own texts never include credentials); no stack. */
function replacer(this: unknown, key: string, value: unknown): unknown {
  if (key !== '' && SECRET_KEY.test(key)) return '[redacted]';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const type = (value as { type?: unknown }).type;
    return { name: value.name, message: value.message, ...(typeof type === 'string' ? { type } : {}) };
  }
  return value;
}

/** One log entry as one JSON line: `time`, `level`, `message`, then the attributes Temporal and the code attached. */
export function formatJsonLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const { meta } = entry;
  const attrs: Record<string, unknown> = {};
  // Our three fields win over attributes of the same name.
  if (meta) for (const [k, v] of Object.entries(meta)) if (k !== 'time' && k !== 'level' && k !== 'message') attrs[k] = v;
  return JSON.stringify({ time, level: entry.level, message: entry.message, ...attrs }, replacer);
}

/**
 * A Temporal Runtime logger writing one JSON object per line (default: to stdout), for log pipelines. The
 * level filter and timestamps are Temporal's DefaultLogger's; only the formatting differs. Activity lines carry
 * `workflowId`, `activityType`, `attempt`…, workflow lines `workflowId`, `runId`, `workflowType`…, and the
 * project adds `klingTaskId` where a Kling task is known.
 */
export function createJsonLogger(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): DefaultLogger {
  return new DefaultLogger(level, (entry) => write(formatJsonLine(entry)));
}
