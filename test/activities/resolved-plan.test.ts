// Parse once, carry the plan (issue 14): validation resolves the request once and its plan carries the create
// (standard, kind, path, body); the submit and lookup activities send and read that create as is, without resolving
// the request again. Against the simulator over HTTP, in Temporal's activity test environment (no Temporal server).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActivities, type ActivityDeps } from '../../src/activities/index.js';
import { validateGeneration } from '../../src/activities/validate.js';
import { KlingClient, withCreateFields } from '../../src/kling/index.js';
import { ManualClock, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createLocalStorage } from '../../src/storage/index.js';
import { creates } from '../support/creates.js';

const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, golden hour, macro lens';
const API_KEY = 'sim-api-key';
const CALLBACK = 'https://hooks.example.com/kling';
const clock = new ManualClock();
const storage = createLocalStorage({ root: mkdtempSync(path.join(tmpdir(), 'kv-resolved-plan-')) });
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ now: clock.now, schedule: { submittedMs: 1_000, processingMs: 4_000 } });
});
afterAll(async () => sim?.close());
beforeEach(() => sim.reset());

function setUp(extra: Partial<ActivityDeps> = {}) {
  const kling = new KlingClient({ baseUrl: sim.url, credentials: { apiKey: API_KEY }, now: clock.now });
  const acts = createActivities({ kling, storage, ...extra });
  return { kling, acts, resolves: vi.spyOn(kling, 'resolve') };
}
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => new MockActivityEnvironment().run(fn, ...args);
const planOf = (kling: KlingClient, request: Record<string, unknown>, workflowId: string) =>
  validateGeneration({ kling, objectPrefix: 'kling-videos' }, { request }, { workflowId, firstExecutionRunId: 'run-1' });

describe.each([
  { standard: 'new', request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5, watermark: false } },
  { standard: 'legacy', request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5, standard: 'legacy' } },
] as const)('the $standard standard', ({ standard, request }) => {
  it('validation resolves once: the plan carries the create (standard, kind, path, body), never a credential', () => {
    const { kling, resolves } = setUp();
    const plan = planOf(kling, request, `plan-${standard}`);
    expect(resolves).toHaveBeenCalledTimes(1);
    expect(plan.wire).toEqual(kling.wireRequest(request));
    expect(plan.wire).toMatchObject({ standard, kind: 'text-to-video' });
    expect(plan).toMatchObject({ standard: plan.wire!.standard, kind: plan.wire!.kind });
    expect(JSON.stringify(plan)).not.toContain(API_KEY);
  });

  it('submit sends the plan’s create as is, with the external id and callback URL, and resolves nothing again; the lookup neither', async () => {
    const { kling, acts, resolves } = setUp({ callbackUrl: CALLBACK });
    const plan = planOf(kling, request, `submit-${standard}`);
    const wire = JSON.parse(JSON.stringify(plan.wire)) as NonNullable<typeof plan.wire>; // as recorded in history
    resolves.mockClear();
    const externalTaskId = `submit-${standard}-rabc-1`;

    const submitted = await run(acts.submitVideoTask, { wire, externalTaskId });
    expect(resolves).not.toHaveBeenCalled();
    expect(submitted).toMatchObject({ externalTaskId, standard, kind: 'text-to-video', adopted: false });
    const [sent] = creates(sim);
    expect(sent?.path).toBe(wire.path);
    expect(sent?.body).toEqual(JSON.parse(JSON.stringify(withCreateFields(wire, { externalTaskId, callbackUrl: CALLBACK }).body)));
    const fields = (standard === 'new' ? (sent?.body as { options?: object }).options : sent?.body) as Record<string, unknown>;
    expect(fields).toMatchObject({ external_task_id: externalTaskId, callback_url: CALLBACK });

    const found = await run(acts.findVideoTask, { wire, externalTaskId });
    expect(found).toMatchObject({ taskId: submitted.taskId, standard, adopted: true });
    expect(resolves).not.toHaveBeenCalled();
  });

  it('a plan recorded before it carried the create: submit resolves the raw request once and sends the same body; the lookup finds it', async () => {
    const { kling, acts, resolves } = setUp({ callbackUrl: CALLBACK });
    const wire = planOf(kling, request, `old-${standard}`).wire!;
    resolves.mockClear();
    const externalTaskId = `old-${standard}-rabc-1`;
    const submitted = await run(acts.submitVideoTask, { request, externalTaskId });
    expect(resolves).toHaveBeenCalledTimes(1);
    expect(creates(sim)[0]?.body).toEqual(JSON.parse(JSON.stringify(withCreateFields(wire, { externalTaskId, callbackUrl: CALLBACK }).body)));
    // An activity task scheduled by the older workflow code (its input names the request) still finds the task.
    expect(await run(acts.findVideoTask, { request, externalTaskId })).toMatchObject({ taskId: submitted.taskId, standard, adopted: true });
  });
});

describe('createResolvedTask', () => {
  it('keeps the request’s own callback URL and refuses a path off the configured host', async () => {
    const { kling } = setUp();
    const own = 'https://relay.example.com/mine';
    const wire = kling.wireRequest({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5, callbackUrl: own });
    expect((withCreateFields(wire, { callbackUrl: CALLBACK }).body.options as Record<string, unknown>).callback_url).toBe(own);
    await expect(kling.createResolvedTask({ ...wire, path: '//attacker.example.com/steal' })).rejects.toThrow(/^Invalid Kling request: path: /);
    expect(creates(sim)).toEqual([]);
  });
});
