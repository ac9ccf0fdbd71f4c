// Unit tests of callback verification, parsing, deduplication and configuration (no servers needed), and of the
// simulator's independent signer against the reference's published test vector.
import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callbackConfigFromEnv, parseListenAddress } from '../../src/callbacks/config.js';
import { CallbackDeduper } from '../../src/callbacks/dedupe.js';
import { MalformedCallbackError, parseCallbackBody } from '../../src/callbacks/parse.js';
import { withCallbackUrl, withFallbackPoll } from '../../src/contract/callback-input-policy.js';
import { createWebhookVerifier } from '../../src/callbacks/verify.js';
import { signWebhook } from '../../src/simulator/index.js';

// docs/reference/kling-api-new-standard.md §4, "Published test vector" (copied exactly).
const VECTOR = {
  secret: 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=',
  id: '9876543210',
  timestamp: 1781080794,
  body: '{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}',
  expected: 'v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4=',
};
const OLD = 'whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0LW9sZC1zZWNyZXQ=';
const NEW = 'whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0LW5ldy1zZWNyZXQ=';

const nowSeconds = () => Math.floor(Date.now() / 1000);
function signed(secrets: string[], body: string, opts: { id?: string; timestamp?: number } = {}): IncomingHttpHeaders {
  const id = opts.id ?? 'msg-1';
  const timestamp = opts.timestamp ?? nowSeconds();
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secrets, id, timestamp, body) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the published test vector', () => {
  it('the simulator signer (node:crypto) produces the expected signature', () => {
    expect(signWebhook([VECTOR.secret], VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.expected);
  });

  it('the receiver verifier (standardwebhooks) accepts it at its own time, and refuses it today as a replay', () => {
    const verify = createWebhookVerifier([VECTOR.secret]);
    const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.expected };
    // Only Date is faked: the vector was signed at 1781080794 and the tolerance is ±5 minutes.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(VECTOR.timestamp * 1000 + 30_000);
    expect(verify(Buffer.from(VECTOR.body), headers)).toEqual({ ok: true });
    vi.useRealTimers();
    expect(Date.now() / 1000 - VECTOR.timestamp).toBeGreaterThan(300);
    expect(verify(Buffer.from(VECTOR.body), headers)).toMatchObject({ ok: false, reason: 'timestamp' });
  });
});

describe('createWebhookVerifier', () => {
  const body = '{"task_id":"867283741759111202","task_status":"succeed"}';

  it('accepts a valid signature over the raw bytes', () => {
    expect(createWebhookVerifier([NEW])(Buffer.from(body), signed([NEW], body))).toEqual({ ok: true });
  });

  it('during a rotation: several signatures in one header, several secrets configured', () => {
    // Kling signs with old and new: a receiver that knows only one of them accepts.
    const both = signed([OLD, NEW], body);
    expect(String(both['webhook-signature']).split(' ')).toHaveLength(2);
    expect(createWebhookVerifier([NEW])(Buffer.from(body), both)).toEqual({ ok: true });
    expect(createWebhookVerifier([OLD])(Buffer.from(body), both)).toEqual({ ok: true });
    // The receiver knows both; Kling signs with one.
    expect(createWebhookVerifier([OLD, NEW])(Buffer.from(body), signed([OLD], body))).toEqual({ ok: true });
    expect(createWebhookVerifier([OLD, NEW])(Buffer.from(body), signed([NEW], body))).toEqual({ ok: true });
    // A non-v1 entry before the valid one is skipped, not fatal.
    const mixed = { ...both, 'webhook-signature': `v2,AAAA ${signWebhook([NEW], 'msg-1', Number(both['webhook-timestamp']), body)}` };
    expect(createWebhookVerifier([NEW])(Buffer.from(body), mixed)).toEqual({ ok: true });
  });

  it('refuses a wrong secret and a tampered body', () => {
    expect(createWebhookVerifier([NEW])(Buffer.from(body), signed([OLD], body))).toMatchObject({ ok: false, reason: 'signature' });
    const headers = signed([NEW], body);
    expect(createWebhookVerifier([NEW])(Buffer.from(body.replace('succeed', 'failed')), headers)).toMatchObject({ ok: false, reason: 'signature' });
    // Re-serialised JSON (a space added) is a different byte string: verification is over the raw body.
    expect(createWebhookVerifier([NEW])(Buffer.from(JSON.stringify(JSON.parse(body), null, 1)), headers)).toMatchObject({
      ok: false,
      reason: 'signature',
    });
    // The id is signed too.
    expect(createWebhookVerifier([NEW])(Buffer.from(body), { ...headers, 'webhook-id': 'msg-2' })).toMatchObject({ ok: false, reason: 'signature' });
  });

  it('refuses missing headers, each one', () => {
    const verify = createWebhookVerifier([NEW]);
    const headers = signed([NEW], body);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const partial = { ...headers };
      delete partial[name];
      expect(verify(Buffer.from(body), partial), name).toMatchObject({ ok: false, reason: 'missing-headers' });
    }
    expect(verify(Buffer.from(body), {})).toMatchObject({ ok: false, reason: 'missing-headers' });
  });

  it('refuses a timestamp outside the 5-minute tolerance in either direction, and a replayed old message', () => {
    const verify = createWebhookVerifier([NEW]);
    expect(verify(Buffer.from(body), signed([NEW], body, { timestamp: nowSeconds() - 240 }))).toEqual({ ok: true });
    expect(verify(Buffer.from(body), signed([NEW], body, { timestamp: nowSeconds() + 240 }))).toEqual({ ok: true });
    expect(verify(Buffer.from(body), signed([NEW], body, { timestamp: nowSeconds() - 360 }))).toMatchObject({ ok: false, reason: 'timestamp' });
    expect(verify(Buffer.from(body), signed([NEW], body, { timestamp: nowSeconds() + 360 }))).toMatchObject({ ok: false, reason: 'timestamp' });
    // A genuine callback captured an hour ago and replayed: correctly signed, refused for its age.
    expect(verify(Buffer.from(body), signed([NEW], body, { timestamp: nowSeconds() - 3600 }))).toMatchObject({ ok: false, reason: 'timestamp' });
    expect(verify(Buffer.from(body), { ...signed([NEW], body), 'webhook-timestamp': 'yesterday' })).toMatchObject({ ok: false, reason: 'timestamp' });
  });

  it('refuses malformed secrets at construction, without echoing them', () => {
    expect(() => createWebhookVerifier([])).toThrow(/at least one/);
    expect(() => createWebhookVerifier(['not-a-secret-value'])).toThrow(/secret 1: must be a Kling webhook secret/);
    expect(() => createWebhookVerifier(['not-a-secret-value'])).not.toThrow(/not-a-secret-value/);
  });
});

describe('parseCallbackBody', () => {
  it('reads the legacy bare data object (REF §4.5) and normalises succeed', () => {
    const body = {
      task_id: '867283741759111202',
      task_status: 'succeed',
      task_status_msg: '',
      task_info: { external_task_id: 'wf-1-r0123456789ab-1', parent_video: { id: 'x', url: 'u', duration: '5' } },
      created_at: 1,
      updated_at: 2,
      task_result: { videos: [{ id: 'v', url: 'https://cdn/v.mp4', duration: '5.1' }], images: [] },
      final_unit_deduction: '3.5',
      final_balance_deduction: { quota: '1', list_price: '1' },
    };
    expect(parseCallbackBody(Buffer.from(JSON.stringify(body)))).toEqual({
      standard: 'legacy',
      taskId: '867283741759111202',
      externalTaskId: 'wf-1-r0123456789ab-1',
      status: 'succeeded',
    });
  });

  it('reads the new task object (NEW §3.5) and the console test callback (no external id)', () => {
    const body = {
      id: '930831534075682845',
      status: 'processing',
      message: '',
      create_time: 1,
      update_time: 2,
      external_id: 'e-1',
      outputs: [],
      billing: [],
    };
    expect(parseCallbackBody(Buffer.from(JSON.stringify(body)))).toEqual({
      standard: 'new',
      taskId: '930831534075682845',
      externalTaskId: 'e-1',
      status: 'processing',
    });
    const test = '{"id":"913827032734642185","status":"submitted","outputs":[],"message":"","create_time":1785901861504,"update_time":1785901861504}';
    expect(parseCallbackBody(Buffer.from(test))).toEqual({
      standard: 'new',
      taskId: '913827032734642185',
      externalTaskId: undefined,
      status: 'submitted',
    });
  });

  it('refuses what is not a task object, naming the problem', () => {
    expect(() => parseCallbackBody(Buffer.from('not json'))).toThrow(MalformedCallbackError);
    expect(() => parseCallbackBody(Buffer.from('[1]'))).toThrow(/not a JSON object/);
    expect(() => parseCallbackBody(Buffer.from('{"foo":1}'))).toThrow(/neither a legacy/);
    expect(() => parseCallbackBody(Buffer.from('{"id":"1","status":"exploded"}'))).toThrow(/status/);
    expect(() => parseCallbackBody(Buffer.from('{"task_id":5,"task_status":"succeed"}'))).toThrow(/task_id/);
  });
});

describe('CallbackDeduper', () => {
  it('flags a repeated webhook id, and a progress status repeating or behind the last one', () => {
    const d = new CallbackDeduper();
    expect(d.check('w1', 't', 'processing')).toBe('new');
    d.remember('w1', 't', 'processing');
    expect(d.check('w1', 't', 'succeeded')).toBe('duplicate'); // same delivery id, whatever it says
    expect(d.check('w2', 't', 'processing')).toBe('duplicate');
    expect(d.check('w3', 't', 'submitted')).toBe('out-of-order');
    expect(d.check('w4', 't', 'succeeded')).toBe('new');
    d.remember('w4', 't', 'succeeded');
    expect(d.check('w5', 't', 'processing')).toBe('out-of-order');
    expect(d.check(undefined, 'other', 'processing')).toBe('new');
  });

  // Issue 13: Kling called back `succeeded` before its task query said so; the genuine `succeeded` that followed
  // was dropped as a repeat, and the workflow waited for its fallback poll (33 s and 61 s observed).
  it('never drops an end for its status: a premature succeeded does not swallow the genuine one', () => {
    const d = new CallbackDeduper();
    expect(d.check('premature', 't', 'succeeded')).toBe('new');
    d.remember('premature', 't', 'succeeded');
    expect(d.check('genuine', 't', 'succeeded')).toBe('new');
    d.remember('genuine', 't', 'succeeded');
    // A failure after an unconfirmed (possibly forged) success is news too.
    expect(d.check('w3', 't', 'failed')).toBe('new');
    // The same delivery again is still a redelivery.
    expect(d.check('genuine', 't', 'succeeded')).toBe('duplicate');
  });

  it('without webhook ids (unsigned callbacks), a repeated end still gets through every time', () => {
    const d = new CallbackDeduper();
    for (let i = 0; i < 3; i++) {
      expect(d.check(undefined, 't', 'succeeded')).toBe('new');
      d.remember(undefined, 't', 'succeeded');
    }
    // Progress reports are still dropped behind it: they wake no workflow.
    expect(d.check(undefined, 't', 'processing')).toBe('out-of-order');
  });

  it('stays bounded, forgetting the oldest entries first', () => {
    const d = new CallbackDeduper(2);
    for (const id of ['a', 'b', 'c']) d.remember(id, `task-${id}`, 'processing');
    expect(d.check('a', 'task-a', 'succeeded')).toBe('new');
    expect(d.check('c', 'task-x', 'succeeded')).toBe('duplicate');
    expect(d.check(undefined, 'task-b', 'processing')).toBe('duplicate');
  });
});

describe('callback configuration', () => {
  it('reads URL, listen address, secrets and the fallback poll', () => {
    const config = callbackConfigFromEnv({
      KLING_CALLBACK_URL: 'https://hooks.example.com/kling',
      KLING_CALLBACK_LISTEN: '127.0.0.1:8788',
      KLING_WEBHOOK_SECRETS: `${OLD}, ${NEW}`,
      KLING_CALLBACK_POLL_INITIAL: '1 minute',
      KLING_CALLBACK_POLL_MAX: '300000',
    });
    expect(config).toEqual({
      url: 'https://hooks.example.com/kling',
      listen: { host: '127.0.0.1', port: 8788 },
      secrets: [OLD, NEW],
      fallbackPoll: { initialInterval: 60_000, maxInterval: 300_000 },
    });
    expect(callbackConfigFromEnv({})).toEqual({
      url: undefined,
      listen: undefined,
      secrets: [],
      fallbackPoll: { initialInterval: 30_000, maxInterval: 120_000 },
    });
  });

  it('names the bad variable and never echoes a secret', () => {
    expect(() => callbackConfigFromEnv({ KLING_CALLBACK_URL: 'ftp://x' })).toThrow(/KLING_CALLBACK_URL/);
    expect(() => callbackConfigFromEnv({ KLING_CALLBACK_LISTEN: 'nowhere' })).toThrow(/KLING_CALLBACK_LISTEN/);
    expect(() => callbackConfigFromEnv({ KLING_CALLBACK_POLL_INITIAL: 'soon' })).toThrow(/KLING_CALLBACK_POLL_INITIAL/);
    const leaked = 'whsec_!!nope!!';
    expect(() => callbackConfigFromEnv({ KLING_WEBHOOK_SECRETS: `${NEW},${leaked}` })).toThrow(/KLING_WEBHOOK_SECRETS entry 2/);
    expect(() => callbackConfigFromEnv({ KLING_WEBHOOK_SECRETS: leaked })).not.toThrow(/nope/);
  });

  it('parses listen addresses', () => {
    expect(parseListenAddress('8788')).toEqual({ host: '0.0.0.0', port: 8788 });
    expect(parseListenAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(() => parseListenAddress('host:99999')).toThrow(/host:port/);
  });
});

describe('request options', () => {
  it('adds the callback URL unless the caller chose one', () => {
    expect(withCallbackUrl({ model: 'm' }, 'https://h/cb')).toEqual({ model: 'm', callbackUrl: 'https://h/cb' });
    expect(withCallbackUrl({ model: 'm', callbackUrl: 'https://mine' }, 'https://h/cb')).toEqual({ model: 'm', callbackUrl: 'https://mine' });
    expect(withCallbackUrl({ model: 'm' }, undefined)).toEqual({ model: 'm' });
  });

  it('sets the fallback poll only where the caller set none', () => {
    const poll = { initialInterval: 60_000, maxInterval: 120_000 };
    expect(withFallbackPoll({ request: {} }, poll)).toEqual({ request: {}, options: { poll: { ...poll, backoffCoefficient: 1.5 } } });
    expect(withFallbackPoll({ request: {}, options: { deadline: '1h' } }, poll)).toEqual({
      request: {},
      options: { deadline: '1h', poll: { ...poll, backoffCoefficient: 1.5 } },
    });
    const own = { request: {}, options: { poll: { initialInterval: '1s' } } };
    expect(withFallbackPoll(own, poll)).toBe(own);
    expect(withFallbackPoll({ request: {}, options: 'junk' }, poll)).toEqual({ request: {}, options: 'junk' });
  });
});
