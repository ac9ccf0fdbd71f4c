// The creates a simulator received: one filter for every test that counts or inspects them (workflow tests get it
// from suite.ts; Kling client tests import it from here, without the Temporal test environment).
import type { RequestLogEntry } from '../../src/simulator/request-log.js';

/** What `creates` needs of a simulator: its request log. */
interface LoggingSimulator {
  readonly requests: readonly RequestLogEntry[];
}

/**
 * The creates the simulator received (either standard, every kind; `POST /tasks` is the new standard's list, not a
 * create), oldest first. `workflowId`: only those whose body names it (the external task id starts with the
 * workflow id); `since`: only those logged after the first `since` requests (`sim.requests.length` read earlier).
 */
export function creates(sim: LoggingSimulator, filter: { workflowId?: string; since?: number } = {}): RequestLogEntry[] {
  return sim.requests
    .slice(filter.since ?? 0)
    .filter((r) => r.routeKind === 'create' && (filter.workflowId === undefined || JSON.stringify(r.body ?? '').includes(filter.workflowId)));
}
