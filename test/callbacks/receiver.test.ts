// The callback receiver over real HTTP, signalling real workflows on the shared Temporal dev server (no worker:
// the workflows stay open, so their histories show exactly which signals arrived).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, temporalSignaller, type CallbackReceiver, type WorkflowSignaller } from '../../src/callbacks/index.js';
import { externalTaskIdFor } from '../../src/contract/constants.js';
import { signWebhook } from '../../src/simulator/index.js';
import { createDevServerEnv, uniqueId } from '../support/servers.js';

const SECRET = 'whsec_cmVjZWl2ZXItdGVzdC1zZWNyZXQtcmVjZWl2ZXItdGVzdA==';
const OTHER = 'whsec_Zm9yZ2VyLXNlY3JldC1mb3JnZXItc2VjcmV0LWZvcmdlcg==';

let env: TestWorkflowEnvironment;
let receiver: CallbackReceiver;
const registry = new Registry();
const warnings: string[] = [];

beforeAll(async () => {
  env = await createDevServerEnv();
  receiver = await startCallbackReceiver({
    signal: temporalSignaller(env.client),
    secrets: [SECRET],
    port: 0,
    host: '127.0.0.1',
    registry,
    logger: { info: () => undefined, warn: (m) => warnings.push(m) },
  });
});
afterAll(async () => {
  await receiver?.close();
  await env?.teardown();
});

/** A generateVideo workflow on a queue no worker polls: it stays open and records the signals it gets. */
async function openWorkflow(): Promise<{ workflowId: string; externalTaskId: string; terminate: () => Promise<void> }> {
  const workflowId = uniqueId('cb-wf');
  const handle = await env.client.workflow.start('generateVideo', { taskQueue: uniqueId('no-worker'), workflowId, args: [{ request: {} }] });
  return {
    workflowId,
    externalTaskId: externalTaskIdFor(workflowId, handle.firstExecutionRunId, 1),
    terminate: () => handle.terminate('test done').then(() => undefined),
  };
}

async function signals(workflowId: string): Promise<unknown[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.workflowExecutionSignaledEventAttributes)
    .map((e) => {
      const attrs = e.workflowExecutionSignaledEventAttributes!;
      expect(attrs.signalName).toBe('klingTaskUpdated');
      return JSON.parse(Buffer.from(attrs.input!.payloads![0]!.data!).toString('utf8'));
    });
}

/** A receiver of its own whose signaller records what it was asked to deliver (no Temporal needed). */
async function recordingReceiver(
  secrets: string[],
): Promise<{ own: CallbackReceiver; delivered: Array<{ workflowId: string; status: string; taskId: string }> }> {
  const delivered: Array<{ workflowId: string; status: string; taskId: string }> = [];
  const own = await startCallbackReceiver({
    signal: async (workflowId, update) => {
      delivered.push({ workflowId, ...update });
      return 'signalled';
    },
    secrets,
    port: 0,
    host: '127.0.0.1',
    logger: { info: () => undefined, warn: (m) => warnings.push(m) },
  });
  return { own, delivered };
}

const newBody = (externalTaskId: string | undefined, status: string, id = '930831534075682845') =>
  JSON.stringify({
    id,
    status,
    message: '',
    create_time: 1,
    update_time: 2,
    ...(externalTaskId ? { external_id: externalTaskId } : {}),
    outputs: [],
  });

async function post(
  body: string,
  opts: { secrets?: string[]; id?: string; timestamp?: number; headers?: Record<string, string>; url?: string } = {},
): Promise<{ status: number; text: string }> {
  const id = opts.id ?? uniqueId('msg');
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const secrets = opts.secrets ?? [SECRET];
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...opts.headers };
  if (secrets.length > 0)
    Object.assign(headers, {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secrets, id, timestamp, body),
    });
  const res = await fetch(`${opts.url ?? receiver.url}/kling/callback`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

describe('callback receiver', () => {
  it('signals the workflow derived from the external id; duplicates and out-of-order deliveries wake nobody', async () => {
    const wf = await openWorkflow();
    const before = receiver.counters();
    expect(await post(newBody(wf.externalTaskId, 'processing'), { id: 'hook-1' })).toMatchObject({ status: 200 });
    expect(await post(newBody(wf.externalTaskId, 'processing'), { id: 'hook-1' })).toMatchObject({
      status: 200,
      text: expect.stringMatching(/duplicate/),
    });
    expect(await post(newBody(wf.externalTaskId, 'processing'), { id: 'hook-2' })).toMatchObject({
      status: 200,
      text: expect.stringMatching(/duplicate/),
    });
    // Legacy body for the same task: `succeed` is normalised.
    const legacy = JSON.stringify({
      task_id: '930831534075682845',
      task_status: 'succeed',
      task_info: { external_task_id: wf.externalTaskId },
      task_result: { videos: [] },
    });
    expect(await post(legacy)).toMatchObject({ status: 200, text: 'ok\n' });
    expect(await post(newBody(wf.externalTaskId, 'processing'))).toMatchObject({ status: 200, text: expect.stringMatching(/older/) });

    expect(await signals(wf.workflowId)).toEqual([
      { status: 'processing', taskId: '930831534075682845' },
      { status: 'succeeded', taskId: '930831534075682845' },
    ]);
    const after = receiver.counters();
    expect(after.signalled - before.signalled).toBe(2);
    expect(after.duplicate - before.duplicate).toBe(2);
    expect(after.out_of_order - before.out_of_order).toBe(1);
    await wf.terminate();
  });

  it('answers 401 to forged, unsigned and replayed callbacks, and the workflow is not woken', async () => {
    const wf = await openWorkflow();
    const body = newBody(wf.externalTaskId, 'succeeded', '930831534075682846');
    const before = receiver.counters().rejected_signature;
    expect(await post(body, { secrets: [OTHER] })).toMatchObject({ status: 401, text: expect.stringMatching(/signature/) });
    expect(await post(body, { secrets: [] })).toMatchObject({ status: 401, text: expect.stringMatching(/missing-headers/) });
    expect(await post(body, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).toMatchObject({
      status: 401,
      text: expect.stringMatching(/timestamp/),
    });
    expect(await post(body, { timestamp: Math.floor(Date.now() / 1000) + 600 })).toMatchObject({ status: 401 });
    // A valid signature over another body, with this body swapped in.
    const ts = Math.floor(Date.now() / 1000);
    const tampered = await fetch(`${receiver.url}/`, {
      method: 'POST',
      headers: {
        'webhook-id': 'x',
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook([SECRET], 'x', ts, newBody(wf.externalTaskId, 'processing')),
      },
      body,
    });
    expect(tampered.status).toBe(401);
    expect(receiver.counters().rejected_signature - before).toBe(5);
    expect(await signals(wf.workflowId)).toEqual([]);
    // The genuine callback still goes through afterwards.
    expect(await post(body)).toMatchObject({ status: 200, text: 'ok\n' });
    expect(await signals(wf.workflowId)).toHaveLength(1);
    await wf.terminate();
  });

  it('acknowledges unknown tasks and workflows (2xx) and counts them; refuses what is not a task object', async () => {
    const before = receiver.counters();
    // The console's test callback: no external id.
    expect(
      await post(
        '{"id":"913827032734642185","status":"submitted","outputs":[],"message":"","create_time":1785901861504,"update_time":1785901861504}',
      ),
    ).toMatchObject({ status: 200 });
    // An external id this project did not derive (another client on the account).
    expect(await post(newBody('somebody-elses-id', 'succeeded', '1'))).toMatchObject({ status: 200 });
    // Derived, but no such workflow; and a finished one.
    expect(await post(newBody(externalTaskIdFor(uniqueId('gone'), '0190f3a2-7b1c-7def-8123-456789abcdef', 1), 'succeeded', '2'))).toMatchObject({
      status: 200,
    });
    const wf = await openWorkflow();
    await wf.terminate();
    expect(await post(newBody(wf.externalTaskId, 'succeeded', '3'))).toMatchObject({
      status: 200,
      text: expect.stringMatching(/no running workflow/),
    });
    expect(await post('{"foo":1}')).toMatchObject({ status: 400 });
    expect(await post('not json')).toMatchObject({ status: 400 });
    const after = receiver.counters();
    expect(after.unknown_task - before.unknown_task).toBe(2);
    expect(after.unknown_workflow - before.unknown_workflow).toBe(2);
    expect(after.malformed - before.malformed).toBe(2);

    expect((await fetch(`${receiver.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${receiver.url}/kling/callback`, { method: 'PUT', body: '{}' })).status).toBe(405);
    expect((await fetch(`${receiver.url}/`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) })).status).toBe(413);

    const metrics = await registry.getSingleMetricAsString('kling_callbacks_total');
    expect(metrics).toContain(`kling_callbacks_total{outcome="unknown_workflow"} ${after.unknown_workflow}`);
    expect(metrics).toContain(`kling_callbacks_total{outcome="rejected_signature"} ${after.rejected_signature}`);
  });

  // Issue 13: a signed `succeeded` arrived before Kling's task query agreed; the genuine one after it was dropped
  // as a repeated status, and the workflow waited for its fallback poll.
  it('passes a genuine end after a premature one (another webhook id); drops only the same webhook id again', async () => {
    const { own, delivered } = await recordingReceiver([SECRET]);
    try {
      const ext = externalTaskIdFor('premature-wf', '0190f3a2-7b1c-7def-8123-456789abcdef', 1);
      const body = newBody(ext, 'succeeded', '930831534075682847');
      expect(await post(body, { id: 'premature', url: own.url })).toMatchObject({ status: 200, text: 'ok\n' });
      expect(await post(body, { id: 'genuine', url: own.url })).toMatchObject({ status: 200, text: 'ok\n' });
      expect(await post(body, { id: 'genuine', url: own.url })).toMatchObject({ status: 200, text: expect.stringMatching(/duplicate/) });
      expect(delivered).toEqual([
        { workflowId: 'premature-wf', status: 'succeeded', taskId: '930831534075682847' },
        { workflowId: 'premature-wf', status: 'succeeded', taskId: '930831534075682847' },
      ]);
      expect(own.counters()).toMatchObject({ signalled: 2, duplicate: 1 });
    } finally {
      await own.close();
    }
  });

  it('without webhook ids (unsigned), a repeated end is signalled each time', async () => {
    const { own, delivered } = await recordingReceiver([]);
    try {
      const body = newBody(externalTaskIdFor('unsigned-wf', '0190f3a2-7b1c-7def-8123-456789abcdef', 1), 'succeeded');
      expect(await post(body, { secrets: [], url: own.url })).toMatchObject({ status: 200, text: 'ok\n' });
      expect(await post(body, { secrets: [], url: own.url })).toMatchObject({ status: 200, text: 'ok\n' });
      expect(delivered).toHaveLength(2);
    } finally {
      await own.close();
    }
  });

  it('answers 415 to a callback not sent as JSON, counts it and signals nothing', async () => {
    const { own, delivered } = await recordingReceiver([SECRET]);
    try {
      const body = newBody(externalTaskIdFor('media-wf', '0190f3a2-7b1c-7def-8123-456789abcdef', 1), 'succeeded');
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data; boundary=x'])
        expect(await post(body, { url: own.url, headers: { 'content-type': contentType } }), contentType).toMatchObject({
          status: 415,
          text: expect.stringMatching(/application\/json/),
        });
      // No Content-Type at all (fetch sends none for a Uint8Array body).
      const id = uniqueId('msg');
      const ts = Math.floor(Date.now() / 1000);
      const bare = await fetch(`${own.url}/`, {
        method: 'POST',
        headers: { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook([SECRET], id, ts, body) },
        body: new TextEncoder().encode(body),
      });
      expect(bare.status).toBe(415);
      expect(delivered).toEqual([]);
      expect(own.counters()).toMatchObject({ unsupported_media_type: 5, signalled: 0 });
      // JSON with parameters, in any letter case, is JSON.
      expect(await post(body, { url: own.url, headers: { 'content-type': 'Application/JSON ; charset=UTF-8' } })).toMatchObject({
        status: 200,
        text: 'ok\n',
      });
      expect(delivered).toHaveLength(1);
    } finally {
      await own.close();
    }
  });

  it('answers 503 when the signal cannot be delivered, and lets the redelivery through', async () => {
    let failing = true;
    const delivered: string[] = [];
    const flaky: WorkflowSignaller = async (workflowId) => {
      if (failing) throw new Error('Temporal unavailable');
      delivered.push(workflowId);
      return 'signalled';
    };
    const own = await startCallbackReceiver({
      signal: flaky,
      port: 0,
      host: '127.0.0.1',
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    });
    try {
      const ext = externalTaskIdFor('flaky-wf', '0190f3a2-7b1c-7def-8123-456789abcdef', 1);
      expect(await post(newBody(ext, 'succeeded'), { secrets: [], url: own.url })).toMatchObject({ status: 503 });
      failing = false;
      expect(await post(newBody(ext, 'succeeded'), { secrets: [], url: own.url })).toMatchObject({ status: 200, text: 'ok\n' });
      expect(delivered).toEqual(['flaky-wf']);
      expect(own.counters()).toMatchObject({ signal_failed: 1, signalled: 1 });
      // Without secrets, unsigned callbacks are accepted, and the start said so.
      expect(warnings.some((w) => /UNSIGNED/.test(w) && w.includes(own.url))).toBe(true);
    } finally {
      await own.close();
    }
  });
});
