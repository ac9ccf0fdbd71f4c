// JWT lifetimes at the workflow level: a worker whose Kling client has only an access/secret key pair (tokens
// signed as JWTs, 30-minute lifetime) and shares an injected clock with the simulator, which checks `exp` and
// `nbf` on that clock. The clock jumps past the token's expiry while generations wait: no request is refused.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { ManualClock } from '../../src/simulator/index.js';
import { generateVideo } from '../../src/workflows/index.js';
import { createGenerationStack, SIM_CREDENTIALS, type GenerationStack } from '../support/generation-stack.js';
import { createDevServerEnv, gcsStorage, uniqueId } from '../support/servers.js';
import { expectExactlyOnce, tasksFor, waitFor } from './helpers.js';

const MINUTE = 60_000;
const clock = new ManualClock();
let env: TestWorkflowEnvironment;
let stack: GenerationStack;

beforeAll(async () => {
  env = await createDevServerEnv();
  stack = await createGenerationStack(env, {
    // Task lifecycles follow the manual clock: a task stays `submitted` until the test moves time.
    simulator: { now: clock.now, schedule: { submittedMs: 100, processingMs: 400 } },
    kling: { credentials: { accessKey: SIM_CREDENTIALS.accessKey, secretKey: SIM_CREDENTIALS.secretKey }, now: clock.now },
  });
});
afterAll(async () => {
  await stack?.close();
  await env?.teardown();
});

const INPUT: GenerateVideoInput = {
  request: { model: 'kling-v1-6', kind: 'text-to-video', prompt: 'A lighthouse on a cliff at dusk, waves crashing below, slow aerial orbit, cinematic lighting' },
  options: { poll: { initialInterval: 200, backoffCoefficient: 1, maxInterval: 200 } },
};

/** Starts a generation, lets it poll a few times on the frozen clock, moves the clock by `jumpMs`, awaits the result. */
async function generateAcross(jumpMs: number) {
  const workflowId = uniqueId('jwt');
  const handle = await env.client.workflow.start(generateVideo, { args: [INPUT], workflowId, taskQueue: stack.taskQueue });
  const task = await waitFor('the created task', () => tasksFor(stack.sim, workflowId)[0]);
  const queriesOf = () => stack.sim.requests.filter((r) => r.routeKind === 'query' && r.path.endsWith(task.id)).length;
  await waitFor('three status checks while the clock stands still', () => queriesOf() >= 3);
  expect(stack.sim.task(task.id)?.status).toBe('submitted');
  const before = queriesOf();
  clock.advance(jumpMs);
  const result = await handle.result();
  expect(queriesOf()).toBeGreaterThan(before); // the old token would have been refused on these
  await expectExactlyOnce(stack.sim, gcsStorage(), stack.bucket, workflowId, result);
  return result;
}

describe('JWT-only credentials across the 30-minute token expiry, on an injected clock', () => {
  it('no authentication failure when time jumps 31 minutes, then 26 more (into the refresh buffer), while generations wait', async () => {
    await stack.run(async () => {
      await generateAcross(31 * MINUTE); // the token minted at the start has expired
      await generateAcross(26 * MINUTE); // the token minted after the first jump has 4 minutes left: refreshed early
      const requests = stack.sim.requests;
      expect(requests.length).toBeGreaterThan(10);
      expect(requests.filter((r) => r.status === 401)).toEqual([]);
      expect(requests.filter((r) => r.routeKind !== 'download').every((r) => r.authKind === 'jwt')).toBe(true);
      expect(clock.now() - Date.now()).toBeGreaterThan(56 * MINUTE);
    });
  });
});
