// JWT lifetimes at the workflow level: a worker whose Kling client has only an access/secret key pair (tokens
// signed as JWTs, 30-minute lifetime) and shares an injected clock with the simulator, which checks `exp` and
// `nbf` on that clock. The clock jumps past the token's expiry while generations wait: no request is refused.
import { describe, expect, it } from 'vitest';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { ManualClock } from '../../src/simulator/index.js';
import { generateVideo } from '../../src/workflows/index.js';
import { SIM_CREDENTIALS } from '../support/generation-stack.js';
import { gcsStorage, uniqueId } from '../support/servers.js';
import { expectExactlyOnce, tasksFor, waitFor } from './helpers.js';
import { useGenerationStack } from '../support/suite.js';

const MINUTE = 60_000;
const clock = new ManualClock();
const suite = useGenerationStack({
  // Task lifecycles follow the manual clock: a task stays `submitted` until the test moves time.
  simulator: { now: clock.now, schedule: { submittedMs: 100, processingMs: 400 } },
  kling: { credentials: { accessKey: SIM_CREDENTIALS.accessKey, secretKey: SIM_CREDENTIALS.secretKey }, now: clock.now },
});

const INPUT: GenerateVideoInput = {
  request: {
    model: 'kling-v1-6',
    kind: 'text-to-video',
    prompt: 'A lighthouse on a cliff at dusk, waves crashing below, slow aerial orbit, cinematic lighting',
  },
  options: { poll: { initialInterval: 200, backoffCoefficient: 1, maxInterval: 200 } },
};

/** Starts a generation, lets it poll a few times on the frozen clock, moves the clock by `jumpMs`, awaits the result. */
async function generateAcross(jumpMs: number) {
  const workflowId = uniqueId('jwt');
  const handle = await suite.env.client.workflow.start(generateVideo, { args: [INPUT], workflowId, taskQueue: suite.stack.taskQueue });
  const task = await waitFor('the created task', () => tasksFor(suite.stack.sim, workflowId)[0]);
  const queriesOf = () => suite.stack.sim.requests.filter((r) => r.routeKind === 'query' && r.path.endsWith(task.id)).length;
  await waitFor('three status checks while the clock stands still', () => queriesOf() >= 3);
  expect(suite.stack.sim.task(task.id)?.status).toBe('submitted');
  const before = queriesOf();
  clock.advance(jumpMs);
  const result = await handle.result();
  expect(queriesOf()).toBeGreaterThan(before); // the old token would have been refused on these
  await expectExactlyOnce(suite.stack.sim, gcsStorage(), suite.stack.bucket, workflowId, result);
  return result;
}

describe('JWT-only credentials across the 30-minute token expiry, on an injected clock', () => {
  it('no authentication failure when time jumps 31 minutes, then 26 more (into the refresh buffer), while generations wait', async () => {
    await suite.stack.run(async () => {
      await generateAcross(31 * MINUTE); // the token minted at the start has expired
      await generateAcross(26 * MINUTE); // the token minted after the first jump has 4 minutes left: refreshed early
      const requests = suite.stack.sim.requests;
      expect(requests.length).toBeGreaterThan(10);
      expect(requests.filter((r) => r.status === 401)).toEqual([]);
      expect(requests.filter((r) => r.routeKind !== 'download').every((r) => r.authKind === 'jwt')).toBe(true);
      expect(clock.now() - Date.now()).toBeGreaterThan(56 * MINUTE);
    });
  });
});
