// The secret sweep: runs after every other test file of the run (SweepLastSequencer in vitest.config.ts) and
// scans everything the run left on the shared Temporal dev server - every workflow execution of the namespace,
// listed through visibility, with its full history (every payload decoded), memo and search attributes - plus
// the logs suites recorded (recordTestLog), for the known credentials and for any JWT. Zero hits required.
// Positive control: a workflow started here carries the simulator's API key and a JWT signed with its secret
// key; the sweep must find both in it, through the same listing, fetching and decoding.
import { inspect } from 'node:util';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtProvider } from '../../src/kling/index.js';
import { SIM_CREDENTIALS } from '../support/generation-stack.js';
import { createDevServerEnv, uniqueId } from '../support/servers.js';
import { historyTexts, knownCredentials, recordedTestLogs, scanForSecrets, testLogDir, type SecretHit } from './secret-scan.js';

/** Workflow ids of positive controls (also from earlier runs on a server of your own): not part of the verdict. */
const CONTROL_PREFIX = 'secret-sweep-control';
const FETCH_CONCURRENCY = 8;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createDevServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? '';
  } catch {
    return inspect(v, { depth: 8 });
  }
}

async function listAll(): Promise<WorkflowExecutionInfo[]> {
  const all: WorkflowExecutionInfo[] = [];
  for await (const info of env.client.workflow.list()) all.push(info);
  return all;
}

/** Every text of one execution worth searching: history (raw and decoded), memo, search attributes. */
async function executionTexts(info: WorkflowExecutionInfo): Promise<string[]> {
  const history = await env.client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
  return [...historyTexts(history), safeJson(info.memo), safeJson(info.searchAttributes), safeJson(info.typedSearchAttributes)];
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe('secret sweep over the whole run (runs last)', () => {
  it('no workflow history, memo, search attribute or recorded log of the run holds a credential or a JWT', async () => {
    const credentials = knownCredentials();

    // Positive control, on a task queue no worker polls: its input and memo stay in history and visibility.
    const jwt = await new JwtProvider({ accessKey: SIM_CREDENTIALS.accessKey, secretKey: SIM_CREDENTIALS.secretKey }).token();
    const controlId = uniqueId(CONTROL_PREFIX);
    const control = await env.client.workflow.start('secretSweepControl', {
      taskQueue: uniqueId('no-worker'),
      workflowId: controlId,
      args: [{ note: 'planted by the secret sweep', apiKey: SIM_CREDENTIALS.apiKey }],
      memo: { token: jwt },
    });
    try {
      // Visibility is eventually consistent: wait until the control is listed (everything earlier is, by then).
      let executions: WorkflowExecutionInfo[] = [];
      const deadline = Date.now() + 15_000;
      while (!executions.some((e) => e.workflowId === controlId)) {
        if (Date.now() > deadline) throw new Error(`the control workflow ${controlId} was not listed within 15 s`);
        await new Promise((r) => setTimeout(r, 200));
        executions = await listAll();
      }

      let scannedChars = 0;
      const perExecution = await mapLimit(executions, FETCH_CONCURRENCY, async (info) => {
        const texts = await executionTexts(info);
        scannedChars += texts.reduce((n, t) => n + t.length, 0);
        return scanForSecrets(`workflow ${info.workflowId} (${info.type}, run ${info.runId})`, texts, credentials);
      });
      const controlHits: SecretHit[] = [];
      const hits: SecretHit[] = [];
      executions.forEach((info, i) => (info.workflowId.startsWith(CONTROL_PREFIX) ? controlHits : hits).push(...perExecution[i]!));

      const logs = await recordedTestLogs();
      for (const [name, text] of logs) hits.push(...scanForSecrets(`recorded log ${name}`, [text], credentials));

      const others = executions.filter((e) => !e.workflowId.startsWith(CONTROL_PREFIX));
      const byPrefix = new Map<string, number>();
      for (const e of others) byPrefix.set(e.workflowId.split('-')[0]!, (byPrefix.get(e.workflowId.split('-')[0]!) ?? 0) + 1);
      console.log(
        `[secret sweep] ${others.length} workflow executions (types ${[...new Set(others.map((e) => e.type))].join(', ')}; ids ${[...byPrefix].map(([p, n]) => `${p}-… ×${n}`).join(', ')}), ` +
          `${(scannedChars / 1e6).toFixed(1)} MB of history, memo and search attributes, ${logs.length} recorded logs (${testLogDir() ?? 'no log directory'}): ${hits.length} hits`,
      );

      // The control is found through the same path: plain API key in the input, the JWT (and whose key signed it) in the memo.
      const found = controlHits.filter((h) => h.where.includes(controlId)).map((h) => h.what);
      expect(found).toContain(`API key ${SIM_CREDENTIALS.apiKey.slice(0, 6)}…`);
      expect(found.some((w) => w.startsWith('a JWT') && w.includes(`signed with the secret key of ${SIM_CREDENTIALS.accessKey.slice(0, 6)}…`))).toBe(
        true,
      );

      expect(hits).toEqual([]);
    } finally {
      await control.terminate('secret sweep done');
    }
  });
});
