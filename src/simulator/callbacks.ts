/**
 * Callbacks (REF §4.5, NEW §4): on each status change of a task created with a callback URL, POST the body of
 * its standard — legacy: the bare `data` object; new: the task object — signed per Standard Webhooks when secrets
 * are configured (`webhook-id`, `webhook-timestamp` in Unix seconds, `webhook-signature: v1,<base64 HMAC-SHA256
 * of "id.timestamp.body">`, one space-separated entry per secret during a rotation; no headers without a secret).
 * Signing is done here with node:crypto, independently of any client library, so a shared mistake cannot hide.
 *
 * Faults (scripted or random, like request faults): drop, duplicate (same webhook-id, re-signed as a retry
 * would be), delay, reorder (held back until the task's next callback went out), a stale/future timestamp,
 * and a bad signature. Statuses move lazily elsewhere in the simulator (on each request); while a task with a
 * callback URL is unfinished, a timer ticks the store at its next due transition so callbacks need no polling.
 */
import { createHmac, randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { legacyTaskData } from './legacy-presenter.js';
import { newTaskObject } from './new-presenter.js';
import { createPrng } from './prng.js';
import type { SimulatorCore } from './simulator-core.js';
import { isTerminal, type SimTask, type TaskStatus, type TaskTransition } from './tasks.js';

/** NEW §4: "The format is `whsec_<base64>`". */
const WebhookSecret = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'a webhook secret is whsec_<base64>');

export const CallbackOptionsSchema = z.object({
  /**
   * Webhook secrets; every callback is signed with each (two during a rotation: NEW §4 "old and new secrets are
   * both valid for a 7-day grace period"). Empty (default): callbacks go out unsigned, without webhook-* headers.
   */
  secrets: z.array(WebhookSecret).default([]),
  /** Time allowed for the receiver to answer one POST. */
  timeoutMs: z.number().int().min(1).default(5_000),
  /** Extra attempts after a non-2xx answer or a network error. NEW §4: Kling's retry policy is undocumented; default none. */
  retries: z.number().int().min(0).default(0),
  /** Wait before each retry. */
  retryDelayMs: z.number().int().min(0).default(500),
});

const target = {
  /** The status change the fault applies to (default any). */
  status: z.enum(['processing', 'succeeded', 'failed', 'any']).default('any'),
  /** Only tasks whose external id starts with this (tests: one workflow's tasks). */
  externalIdPrefix: z.string().optional(),
  /** Scripted faults: how many matching callbacks this entry covers. */
  times: z.number().int().min(1).default(1),
};

export const CallbackFaultSchema = z.discriminatedUnion('kind', [
  /** Lets a callback through untouched (to script "the second one is dropped"). */
  z.object({ kind: z.literal('pass'), ...target }),
  /** Never sent. */
  z.object({ kind: z.literal('drop'), ...target }),
  /** Sent `copies` times with the same webhook-id (a retry), each freshly timestamped and signed. */
  z.object({ kind: z.literal('duplicate'), copies: z.number().int().min(2).max(10).default(2), ...target }),
  /** Sent `delayMs` late; the task's later callbacks wait behind it (latency, not reordering). */
  z.object({ kind: z.literal('delay'), delayMs: z.number().int().min(0), ...target }),
  /** Held back until the task's next callback was sent (or `maxHoldMs` passed), so it arrives after it. */
  z.object({ kind: z.literal('reorder'), maxHoldMs: z.number().int().min(0).default(2_000), ...target }),
  /** `webhook-timestamp` moved by `seconds` (negative: in the past, as a replay of an old message would be). */
  z.object({ kind: z.literal('skew-timestamp'), seconds: z.number().int(), ...target }),
  /** Signed with a key nobody configured (a forgery). Unsigned simulators send a made-up signature header. */
  z.object({ kind: z.literal('bad-signature'), ...target }),
]);
export type CallbackFaultInput = z.input<typeof CallbackFaultSchema>;
export type CallbackFault = z.infer<typeof CallbackFaultSchema>;

export const CallbackFaultRateRuleSchema = z.object({
  /** Chance in [0, 1] that a callback gets a fault. */
  probability: z.number().min(0).max(1),
  /** Candidates, chosen uniformly. */
  faults: z.array(CallbackFaultSchema).min(1),
  /** PRNG seed; default the simulator's `seed`. */
  seed: z.number().int().optional(),
});
export type CallbackFaultRateRuleInput = z.input<typeof CallbackFaultRateRuleSchema>;

/** One HTTP attempt (or a drop) as `sim.callbacks.deliveries()` lists it. */
export interface CallbackDelivery {
  readonly taskId: string;
  readonly externalTaskId: string | undefined;
  /** Canonical status the callback reports (the legacy body spells success `succeed`). */
  readonly status: TaskStatus;
  readonly url: string;
  readonly webhookId: string;
  readonly fault: CallbackFault['kind'] | null;
  /** Receiver's HTTP status; null when dropped or when the request failed (see `error`). */
  readonly httpStatus: number | null;
  readonly error: string | undefined;
  /** Wall-clock ms when the attempt finished. */
  readonly at: number;
}

/** The callback API exposed as `sim.callbacks`. */
export interface CallbackController {
  /** Queues faults: each entry hits the next `times` callbacks it matches (first matching entry wins). */
  script(faults: readonly CallbackFaultInput[]): void;
  /** Adds a random rule. */
  rate(rule: CallbackFaultRateRuleInput): void;
  /** Removes scripted faults and random rules. */
  clearFaults(): void;
  /** Every attempt so far, oldest first. */
  deliveries(): readonly CallbackDelivery[];
  /** Resolves once no callback is in flight, delayed or held back. */
  idle(): Promise<void>;
}

/** `v1,<sig>` per secret, space-separated (NEW §4 verification steps 1–2). Exported for the test vector. */
export function signWebhook(secrets: readonly string[], webhookId: string, timestampSeconds: number, body: string): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      return `v1,${createHmac('sha256', key).update(`${webhookId}.${timestampSeconds}.${body}`).digest('base64')}`;
    })
    .join(' ');
}

/** NEW §4 example `8674665223082153551`: a 19-digit number. */
const newWebhookId = () => `${randomInt(1, 10)}${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e9)).padStart(9, '0')}`;

interface Message {
  readonly task: SimTask;
  readonly status: TaskStatus;
  readonly url: string;
  readonly webhookId: string;
  /** The body as sent: a snapshot taken at the transition. */
  readonly body: string;
  readonly fault: CallbackFault | undefined;
}

export class CallbackDispatcher implements CallbackController {
  readonly #options: z.infer<typeof CallbackOptionsSchema>;
  readonly #agent = new Agent({ connections: 32 });
  readonly #log: CallbackDelivery[] = [];
  readonly #watching = new Set<SimTask>();
  /** Per task: the tail of its send chain (callbacks of one task go out in order unless a fault says otherwise). */
  readonly #chains = new Map<string, Promise<void>>();
  /** Per task: a callback held back by `reorder`, released by the next one. */
  readonly #held = new Map<string, () => void>();
  readonly #inFlight = new Set<Promise<void>>();
  #script: { fault: CallbackFault; remaining: number }[] = [];
  #rates: { rule: z.infer<typeof CallbackFaultRateRuleSchema>; random: () => number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stop = new AbortController();

  constructor(
    private readonly core: SimulatorCore,
    options: z.input<typeof CallbackOptionsSchema> | undefined,
    private readonly seed: number,
  ) {
    this.#options = CallbackOptionsSchema.parse(options ?? {});
    core.store.onInsert((task) => {
      if (task.spec.callbackUrl === undefined) return;
      this.#watching.add(task);
      this.#schedule();
    });
    core.store.onTransition((transition) => this.#onTransition(transition));
  }

  script(faults: readonly CallbackFaultInput[]): void {
    for (const input of faults) {
      const fault = CallbackFaultSchema.parse(input);
      this.#script.push({ fault, remaining: fault.times });
    }
  }

  rate(input: CallbackFaultRateRuleInput): void {
    const rule = CallbackFaultRateRuleSchema.parse(input);
    this.#rates.push({ rule, random: createPrng(rule.seed ?? this.seed) });
  }

  clearFaults(): void {
    this.#script = [];
    this.#rates = [];
  }

  deliveries(): readonly CallbackDelivery[] {
    return [...this.#log];
  }

  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Forgets watched tasks, faults and the delivery log (in-flight callbacks finish). */
  reset(): void {
    this.#watching.clear();
    this.clearFaults();
    this.#log.length = 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const release of this.#held.values()) release();
    this.#stop.abort();
    await this.idle();
    await this.#agent.destroy();
  }

  /** Ticks the store when the next watched transition is due; a manual clock is re-checked at least every second. */
  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    let next = Infinity;
    for (const task of this.#watching) {
      if (isTerminal(task.status)) this.#watching.delete(task);
      else if (task.status === 'submitted') next = Math.min(next, task.processingAt);
      else if (task.finishAt !== null) next = Math.min(next, task.finishAt);
    }
    if (next === Infinity) return;
    const wait = Math.min(Math.max(next - this.core.now(), 0), 1_000);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.core.tick();
      this.#schedule();
    }, wait);
    this.#timer.unref();
  }

  #onTransition({ task, to }: TaskTransition): void {
    const url = task.spec.callbackUrl;
    if (url === undefined || this.#closed) return;
    const mediaUrl = (token: string) => this.core.mediaUrl(token);
    const body =
      task.spec.standard === 'legacy'
        ? legacyTaskData(task, mediaUrl)
        : newTaskObject(task, mediaUrl, { billing: this.core.options.newTaskBilling === 'report' });
    const message: Message = { task, status: to, url, webhookId: newWebhookId(), body: JSON.stringify(body), fault: this.#takeFault(task, to) };
    this.#enqueue(message);
    this.#schedule();
  }

  #takeFault(task: SimTask, status: TaskStatus): CallbackFault | undefined {
    const matches = (f: CallbackFault) =>
      (f.status === 'any' || f.status === status) &&
      (f.externalIdPrefix === undefined || (task.spec.externalId ?? '').startsWith(f.externalIdPrefix));
    const index = this.#script.findIndex((entry) => matches(entry.fault));
    const entry = this.#script[index];
    if (entry !== undefined) {
      entry.remaining -= 1;
      if (entry.remaining === 0) this.#script.splice(index, 1);
      return entry.fault.kind === 'pass' ? undefined : entry.fault;
    }
    for (const { rule, random } of this.#rates) {
      if (random() >= rule.probability) continue;
      const candidates = rule.faults.filter(matches);
      const chosen = candidates[Math.floor(random() * candidates.length)];
      if (chosen !== undefined && chosen.kind !== 'pass') return chosen;
    }
    return undefined;
  }

  #enqueue(message: Message): void {
    const taskId = message.task.id;
    const fault = message.fault;
    if (fault?.kind === 'drop') {
      this.#record(message, fault.kind, null, undefined);
      return;
    }
    const previous = this.#chains.get(taskId) ?? Promise.resolve();
    let work: Promise<void>;
    if (fault?.kind === 'reorder') {
      // Off the chain: waits for the next callback of this task to be sent (or maxHoldMs), then goes out.
      work = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, fault.maxHoldMs);
        this.#held.set(taskId, () => {
          clearTimeout(timer);
          resolve();
        });
      }).then(() => {
        this.#held.delete(taskId);
        return this.#send(message);
      });
    } else {
      work = previous.then(async () => {
        if (fault?.kind === 'delay') await delay(fault.delayMs, undefined, { signal: this.#stop.signal }).catch(() => undefined);
        await this.#send(message);
        this.#held.get(taskId)?.();
      });
      this.#chains.set(taskId, work);
    }
    this.#inFlight.add(work);
    void work.finally(() => {
      this.#inFlight.delete(work);
      if (this.#chains.get(taskId) === work) this.#chains.delete(taskId);
    });
  }

  async #send(message: Message): Promise<void> {
    const copies = message.fault?.kind === 'duplicate' ? message.fault.copies : 1;
    for (let copy = 0; copy < copies; copy++) await this.#post(message);
  }

  async #post(message: Message): Promise<void> {
    const { fault } = message;
    for (let attempt = 0; attempt <= this.#options.retries; attempt++) {
      if (attempt > 0) await delay(this.#options.retryDelayMs, undefined, { signal: this.#stop.signal }).catch(() => undefined);
      if (this.#stop.signal.aborted) return;
      const timestamp = Math.floor(Date.now() / 1000) + (fault?.kind === 'skew-timestamp' ? fault.seconds : 0);
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      const secrets = fault?.kind === 'bad-signature' ? ['whsec_Zm9yZ2VkLWtleS1ub2JvZHktY29uZmlndXJlZA=='] : this.#options.secrets;
      if (secrets.length > 0) {
        headers['webhook-id'] = message.webhookId;
        headers['webhook-timestamp'] = String(timestamp);
        headers['webhook-signature'] = signWebhook(secrets, message.webhookId, timestamp, message.body);
      }
      try {
        const res = await request(message.url, {
          method: 'POST',
          headers,
          body: message.body,
          dispatcher: this.#agent,
          headersTimeout: this.#options.timeoutMs,
          bodyTimeout: this.#options.timeoutMs,
          signal: this.#stop.signal,
        });
        await res.body.dump();
        this.#record(message, fault?.kind ?? null, res.statusCode, undefined);
        if (res.statusCode >= 200 && res.statusCode < 300) return;
      } catch (err) {
        this.#record(message, fault?.kind ?? null, null, err instanceof Error ? err.message : String(err));
      }
    }
  }

  #record(message: Message, fault: CallbackFault['kind'] | null, httpStatus: number | null, error: string | undefined): void {
    this.#log.push({
      taskId: message.task.id,
      externalTaskId: message.task.spec.externalId,
      status: message.status,
      url: message.url,
      webhookId: message.webhookId,
      fault,
      httpStatus,
      error,
      at: Date.now(),
    });
  }
}
