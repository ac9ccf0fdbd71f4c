// The task queries a simulator answered for one task: one filter for every test that counts Kling's status checks
// (workflow tests get it from suite.ts, like `creates`).
import type { RequestLogEntry } from '../../src/simulator/request-log.js';

/** What `taskQueries` needs of a simulator: its request log. */
interface LoggingSimulator {
  readonly requests: readonly RequestLogEntry[];
}

/**
 * The queries (either standard: a legacy task path, the new standard's `GET /tasks?task_ids=…`) whose path or query
 * parameters name one of `ids` (a Kling task id or an external task id), oldest first.
 */
export function taskQueries(sim: LoggingSimulator, ...ids: string[]): RequestLogEntry[] {
  return sim.requests.filter((r) => r.routeKind === 'query' && [r.path, ...Object.values(r.query)].some((v) => ids.some((id) => v.includes(id))));
}
