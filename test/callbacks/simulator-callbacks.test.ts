// The simulator's callbacks over real HTTP: bodies per standard, Standard Webhooks signing (checked with the
// receiver's verifier, an independent implementation), and the injectable faults.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookVerifier } from '../../src/callbacks/verify.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { api, legacyT2V, newT2V } from '../simulator/helpers.js';

const SECRET_A = 'whsec_c2ltdWxhdG9yLXNlY3JldC1hLXNpbXVsYXRvci1zZWNyZXQ=';
const SECRET_B = 'whsec_c2ltdWxhdG9yLXNlY3JldC1iLXNpbXVsYXRvci1zZWNyZXQ=';

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- callback bodies are arbitrary JSON
  body: any;
  at: number;
}

let server: Server;
let url: string;
let received: Received[] = [];
/** Status the collector answers with, per arrival (default 200). */
let answers: number[] = [];
let signed: Simulator;
let unsigned: Simulator;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')), at: Date.now() });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kling/callback`;
  const schedule = { submittedMs: 60, processingMs: 120 };
  signed = await startSimulator({ schedule, callbacks: { secrets: [SECRET_A, SECRET_B], retries: 1, retryDelayMs: 50 } });
  unsigned = await startSimulator({ schedule });
});
afterAll(async () => {
  await signed?.close();
  await unsigned?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received = [];
  answers = [];
});

async function until(probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
const forTask = (ext: string) => received.filter((r) => (r.body.external_id ?? r.body.task_info?.external_task_id) === ext);
const statusOf = (r: Received) => r.body.status ?? r.body.task_status;

describe('simulator callbacks', () => {
  it('new standard, unsigned: POSTs the task object on each status change, with no request to drive it', async () => {
    const created = await api(unsigned).post('/text-to-video/kling-2.6', newT2V({ options: { callback_url: url, external_task_id: 'cb-new-1' } }));
    expect(created.status).toBe(200);
    const requestsAfterCreate = unsigned.requests.length;
    await until(() => forTask('cb-new-1').length === 2);
    const [processing, succeeded] = forTask('cb-new-1');
    expect(statusOf(processing!)).toBe('processing');
    expect(statusOf(succeeded!)).toBe('succeeded');
    expect(succeeded!.body).toMatchObject({
      id: created.json.data.id,
      external_id: 'cb-new-1',
      outputs: [{ type: 'video' }],
      billing: [{ charge_type: 'unit' }],
    });
    expect(succeeded!.headers['content-type']).toBe('application/json; charset=utf-8');
    // NEW §4: signature headers only when a secret exists.
    expect(succeeded!.headers['webhook-signature']).toBeUndefined();
    expect(succeeded!.headers['webhook-id']).toBeUndefined();
    expect(unsigned.requests.length).toBe(requestsAfterCreate);
    // The collector sees a POST before the simulator has read its answer and logged the delivery.
    await unsigned.callbacks.idle();
    expect(
      unsigned.callbacks
        .deliveries()
        .filter((d) => d.externalTaskId === 'cb-new-1')
        .map((d) => [d.status, d.httpStatus]),
    ).toEqual([
      ['processing', 200],
      ['succeeded', 200],
    ]);
  });

  it('legacy, signed with two secrets during a rotation: the bare data object, each signature verifiable', async () => {
    await api(signed).post('/v1/videos/text2video', legacyT2V({ callback_url: url, external_task_id: 'cb-legacy-1' }));
    await until(() => forTask('cb-legacy-1').length === 2);
    const last = forTask('cb-legacy-1')[1]!;
    expect(last.body).toMatchObject({
      task_status: 'succeed',
      task_info: { external_task_id: 'cb-legacy-1' },
      final_unit_deduction: expect.any(String),
    });
    expect(last.body.task_result.videos).toHaveLength(1);
    expect(String(last.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(String(last.headers['webhook-timestamp'])).toMatch(/^\d{10}$/);
    expect(createWebhookVerifier([SECRET_A])(last.raw, last.headers)).toEqual({ ok: true });
    expect(createWebhookVerifier([SECRET_B])(last.raw, last.headers)).toEqual({ ok: true });
    expect(createWebhookVerifier(['whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=='])(last.raw, last.headers)).toMatchObject({
      ok: false,
      reason: 'signature',
    });
  });

  it('drop, duplicate (same webhook-id), reorder and delay', async () => {
    signed.callbacks.script([
      { kind: 'drop', status: 'processing', externalIdPrefix: 'cb-drop' },
      { kind: 'duplicate', copies: 3, status: 'succeeded', externalIdPrefix: 'cb-dup' },
      { kind: 'reorder', status: 'processing', externalIdPrefix: 'cb-reorder' },
      { kind: 'delay', delayMs: 400, status: 'processing', externalIdPrefix: 'cb-delay' },
    ]);
    const created = Date.now();
    for (const ext of ['cb-drop', 'cb-dup', 'cb-reorder', 'cb-delay'])
      await api(signed).post('/text-to-video/kling-2.6', newT2V({ options: { callback_url: url, external_task_id: ext } }));
    await until(
      () => forTask('cb-drop').length >= 1 && forTask('cb-dup').length >= 4 && forTask('cb-reorder').length >= 2 && forTask('cb-delay').length >= 2,
    );
    await signed.callbacks.idle();

    expect(forTask('cb-drop').map(statusOf)).toEqual(['succeeded']);
    expect(signed.callbacks.deliveries().find((d) => d.externalTaskId === 'cb-drop' && d.status === 'processing')).toMatchObject({
      fault: 'drop',
      httpStatus: null,
    });

    const dup = forTask('cb-dup');
    expect(dup.map(statusOf)).toEqual(['processing', 'succeeded', 'succeeded', 'succeeded']);
    expect(new Set(dup.slice(1).map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of dup) expect(createWebhookVerifier([SECRET_A])(r.raw, r.headers)).toEqual({ ok: true });

    expect(forTask('cb-reorder').map(statusOf)).toEqual(['succeeded', 'processing']);

    const delayed = forTask('cb-delay');
    expect(delayed.map(statusOf)).toEqual(['processing', 'succeeded']);
    expect(delayed[0]!.at - created).toBeGreaterThanOrEqual(400);
  });

  it('stale timestamps and forged signatures are sent as asked, and a 5xx answer is retried', async () => {
    signed.callbacks.script([
      { kind: 'skew-timestamp', seconds: -600, status: 'processing', externalIdPrefix: 'cb-forge' },
      { kind: 'bad-signature', status: 'succeeded', externalIdPrefix: 'cb-forge' },
    ]);
    answers = [200, 503];
    await api(signed).post('/text-to-video/kling-2.6', newT2V({ options: { callback_url: url, external_task_id: 'cb-forge' } }));
    await until(() => forTask('cb-forge').length === 3);
    const [stale, forged, retried] = forTask('cb-forge');
    expect(Number(stale!.headers['webhook-timestamp'])).toBeLessThan(Date.now() / 1000 - 590);
    expect(createWebhookVerifier([SECRET_A])(stale!.raw, stale!.headers)).toMatchObject({ ok: false, reason: 'timestamp' });
    expect(createWebhookVerifier([SECRET_A, SECRET_B])(forged!.raw, forged!.headers)).toMatchObject({ ok: false, reason: 'signature' });
    // The 503 was retried once (retries: 1) with the same webhook-id.
    expect(retried!.headers['webhook-id']).toBe(forged!.headers['webhook-id']);
    await signed.callbacks.idle();
    expect(
      signed.callbacks
        .deliveries()
        .filter((d) => d.externalTaskId === 'cb-forge')
        .map((d) => d.httpStatus),
    ).toEqual([200, 503, 200]);
  });
});
