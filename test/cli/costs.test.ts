// `kling-video costs` against the shared Temporal dev server, in this process through runCliInProcess (the exit codes
// are the program's: the bin only exits with them, as test/cli/server-commands.test.ts checks). The ledger rows are generateVideo
// executions started with a `klingCosts` memo (what the workflow writes), on a task queue no worker polls, so the
// test depends only on the memo contract (src/contract/costs.ts), not on the workflow's progress.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSince, type CostsReport } from '../../src/cli/commands/costs.js';
import { COST_MEMO_KEY, type CostRecord } from '../../src/contract/costs.js';
import { testServers, uniqueId } from '../support/servers.js';
import { cleanEnv, json, runCliInProcess, type CliRun } from './cli-process.js';

const RECORDS: Record<string, CostRecord | undefined> = {
  ok: {
    model: 'kling-2.6',
    estimatedCredits: 15,
    creditsPerUnit: 10,
    actualUnits: 1.5,
    actualCredits: 15,
    driftCredits: 0,
    drift: false,
    outcome: 'succeeded',
    klingTaskId: '860312345678901234',
    submission: 'submitted',
  },
  drift: {
    model: 'kling-3.0',
    estimatedCredits: 15,
    creditsPerUnit: 10,
    actualUnits: 1.8,
    actualCredits: 18,
    driftCredits: 3,
    drift: true,
    outcome: 'succeeded',
    approvedBy: 'alice',
  },
  failed: {
    model: 'kling-2.6',
    estimatedCredits: 15,
    creditsPerUnit: 10,
    actualUnits: 0.5,
    actualCredits: 5,
    driftCredits: -10,
    drift: true,
    outcome: 'failed',
  },
  refused: { model: 'kling-2.6', estimatedCredits: 150, creditsPerUnit: 10, drift: false, outcome: 'budget_refused', submission: 'none' },
  none: undefined,
};

let connection: Connection;
let client: Client;
let env: NodeJS.ProcessEnv;
let startedAfter: Date;
const taskQueue = uniqueId('tq-costs');
const ids: Record<string, string> = {};

beforeAll(async () => {
  const { temporalAddress, temporalNamespace } = testServers();
  connection = await Connection.connect({ address: temporalAddress });
  client = new Client({ connection, namespace: temporalNamespace });
  for (const [name, record] of Object.entries(RECORDS)) {
    ids[name] = uniqueId(`costs-${name}`);
    await client.workflow.start('generateVideo', {
      taskQueue,
      workflowId: ids[name],
      args: [],
      ...(record === undefined ? {} : { memo: { [COST_MEMO_KEY]: record } }),
    });
  }
  startedAfter = new Date(Date.now() + 1_000);
  // Visibility is eventually consistent: wait until every row is listed.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { count } = await client.workflow.count(`TaskQueue='${taskQueue}'`);
    if (count === Object.keys(RECORDS).length || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  env = cleanEnv({ TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: temporalNamespace });
});

afterAll(async () => {
  for (const id of Object.values(ids))
    await client?.workflow
      .getHandle(id)
      .terminate('costs test done')
      .catch(() => undefined);
  await connection?.close();
});

const costs = (args: string[]): Promise<CliRun> => runCliInProcess(['costs', '--query', `TaskQueue='${taskQueue}'`, ...args], { env });

describe('kling-video costs', () => {
  it('--json: one entry per generation with its memo’s estimate, actual, drift and outcome, and the totals', async () => {
    const run = await costs(['--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = json<CostsReport>(run);
    expect(Date.parse(out.since)).toBeLessThan(Date.now() - 23 * 3_600_000); // default --since 24h
    const byId = new Map(out.entries.map((e) => [e.workflowId, e]));
    expect([...byId.keys()].sort()).toEqual(Object.values(ids).sort());
    expect(byId.get(ids.ok!)).toEqual({
      workflowId: ids.ok,
      runId: expect.any(String),
      status: 'RUNNING',
      startTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      model: 'kling-2.6',
      costRecorded: true,
      outcome: 'succeeded',
      estimatedCredits: 15,
      actualCredits: 15,
      actualUnits: 1.5,
      driftCredits: 0,
      drift: false,
      klingTaskId: '860312345678901234',
      submission: 'submitted',
    });
    expect(byId.get(ids.drift!)).toMatchObject({
      model: 'kling-3.0',
      estimatedCredits: 15,
      actualCredits: 18,
      driftCredits: 3,
      drift: true,
      approvedBy: 'alice',
    });
    expect(byId.get(ids.failed!)).toMatchObject({ outcome: 'failed', actualUnits: 0.5, actualCredits: 5, drift: true });
    const refused = byId.get(ids.refused!);
    expect(refused).toMatchObject({ outcome: 'budget_refused', estimatedCredits: 150, drift: false, costRecorded: true, submission: 'none' });
    expect(refused).not.toHaveProperty('actualCredits');
    expect(byId.get(ids.none!)).toMatchObject({ costRecorded: false, drift: false });
    expect(byId.get(ids.none!)).not.toHaveProperty('estimatedCredits');
    expect(out.totals).toEqual({ generations: 5, withCostRecord: 4, estimatedCredits: 195, actualCredits: 38, drifted: 2 });
  });

  it('text: a table with estimate, actual and signed drift (! beyond tolerance), and a totals line', async () => {
    const run = await costs([]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^START\s+STATUS\s+OUTCOME\s+MODEL\s+EST\s+ACTUAL\s+DRIFT\s+WORKFLOW$/);
    expect(lines).toHaveLength(1 + 5 + 1);
    const row = (name: string) => lines.find((l) => l.endsWith(` ${ids[name]}`)) ?? '';
    expect(row('drift')).toMatch(/RUNNING\s+succeeded\s+kling-3\.0\s+15\s+18\s+\+3 !\s+costs-drift/);
    expect(row('failed')).toMatch(/failed\s+kling-2\.6\s+15\s+5\s+-10 !/);
    expect(row('ok')).toMatch(/succeeded\s+kling-2\.6\s+15\s+15\s+0\s+costs-ok/);
    expect(row('refused')).toMatch(/budget_refused\s+kling-2\.6\s+150\s+-\s+-\s+costs-refused/);
    expect(row('none')).toMatch(/no record\s+-\s+-\s+-\s+-\s+costs-none/);
    expect(lines.at(-1)).toMatch(/^5 generation\(s\) since .*: 195 credits estimated, 38 reported by Kling, 2 with drift, 1 without a cost record$/);
  });

  it('--limit and --since bound the ledger', async () => {
    const limited = json<CostsReport>(await costs(['--limit', '2', '--json']));
    expect(limited.entries).toHaveLength(2);
    expect(limited.totals.generations).toBe(2);
    const later = await costs(['--since', startedAfter.toISOString(), '--json']);
    expect(later.code).toBe(0);
    expect(json<CostsReport>(later)).toMatchObject({ since: startedAfter.toISOString(), entries: [], totals: { generations: 0 } });
    const text = await costs(['--since', startedAfter.toISOString()]);
    expect(text.stdout.trim()).toBe(`no generations started since ${startedAfter.toISOString()}`);
    const recent = json<CostsReport>(await costs(['--since', '1h', '--json']));
    expect(recent.entries).toHaveLength(5);
  });

  it('bad --since / --limit exit 2 naming both fields, before contacting Temporal; no Temporal exits 8 (configuration)', async () => {
    const bad = await runCliInProcess(['costs', '--since', 'last tuesday', '--limit', '0', '--json'], {
      env: cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }),
    });
    expect(bad.code).toBe(2);
    expect(
      json<{ error: { issues: { field: string }[] } }>(bad)
        .error.issues.map((i) => i.field)
        .sort(),
    ).toEqual(['limit', 'since']);
    const down = await runCliInProcess(['costs', '--json'], { env: cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }) });
    expect(down.code).toBe(8);
    expect(json<{ error: { message: string } }>(down).error.message).toContain('connection refused (ECONNREFUSED)');
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  it('durations back from now and dates (UTC unless zoned)', () => {
    expect(parseSince('90m', now).toISOString()).toBe('2026-11-28T10:30:00.000Z');
    expect(parseSince('24h', now).toISOString()).toBe('2026-11-27T12:00:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-11-21T12:00:00.000Z');
    expect(parseSince('2w', now).toISOString()).toBe('2026-11-14T12:00:00.000Z');
    expect(parseSince('2026-11-01', now).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseSince('2026-11-01T08:30:00', now).toISOString()).toBe('2026-11-01T08:30:00.000Z');
    expect(parseSince('2026-11-01T08:30:00+02:00', now).toISOString()).toBe('2026-11-01T06:30:00.000Z');
  });
  it('anything else names the field', () => {
    for (const bad of ['', 'yesterday', '5', '5y', '2026-13-45', '2026-11-01T99:99:99Z']) expect(() => parseSince(bad, now), bad).toThrow(/since/);
  });
});
