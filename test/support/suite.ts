// What most workflow test files need, in one place: the generation stack for the whole file (`useGenerationStack`),
// poll settings that suit the simulator's short tasks (`FAST_POLL`), the failure a workflow ended with
// (`failureOf`) and the creates and task queries the simulator received (`creates`, `taskQueries`). A new test file starts from these:
//
//   const suite = useGenerationStack();
//   it('...', async () => {
//     const handle = await suite.env.client.workflow.start(generateVideo, { args: [{ request, options: { poll: FAST_POLL } }], taskQueue: suite.stack.taskQueue, workflowId: uniqueId('gen') });
//     expect((await failureOf(handle.result())).type).toBe(FailureType.KlingValidationError);
//     expect(creates(suite.stack.sim, { workflowId: handle.workflowId })).toHaveLength(0);
//   });
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../src/contract/search-attributes.js';
import { createGenerationStack, type GenerationStack, type GenerationStackOptions } from './generation-stack.js';
import { createDevServerEnv, createTimeSkippingEnv } from './servers.js';

export { creates } from './creates.js';
export { taskQueries } from './task-queries.js';

/**
 * Poll settings for workflows against the simulator (tasks end within about a second): first check after 200 ms,
 * then ×1.5 up to 1 s. Tests that need a tighter cap spread it: `{ ...FAST_POLL, maxInterval: 500 }`.
 */
export const FAST_POLL = { initialInterval: 200, backoffCoefficient: 1.5, maxInterval: 1_000 } as const;

/** The shared dev server's environment and one generation stack, both live between the file's beforeAll and afterAll. */
export interface GenerationSuite {
  readonly env: TestWorkflowEnvironment;
  readonly stack: GenerationStack;
}

/**
 * Registers `beforeAll`/`afterAll` hooks (for the file, or for the `describe` it is called in): a
 * TestWorkflowEnvironment and a generation stack (simulator, fake-gcs bucket, worker) built with `options` (a
 * function when the options need the environment or something made in an earlier `beforeAll`). The environment is
 * the shared Temporal dev server, or with `server: 'time-skipping'` a test server of its own whose clock jumps over
 * timers (the project's search attributes registered). Read `suite.env`/`suite.stack` inside hooks and tests only:
 * they throw before the `beforeAll` has run.
 */
export function useGenerationStack(
  options: GenerationStackOptions | ((env: TestWorkflowEnvironment) => GenerationStackOptions | Promise<GenerationStackOptions>) = {},
  { server = 'dev' }: { server?: 'dev' | 'time-skipping' } = {},
): GenerationSuite {
  let env: TestWorkflowEnvironment | undefined;
  let stack: GenerationStack | undefined;
  beforeAll(async () => {
    env = server === 'dev' ? await createDevServerEnv() : await timeSkippingEnvWithSearchAttributes();
    stack = await createGenerationStack(env, typeof options === 'function' ? await options(env) : options);
  });
  afterAll(async () => {
    await stack?.close();
    await env?.teardown();
  });
  const notYet = (what: string): never => {
    throw new Error(`suite.${what} is read before useGenerationStack's beforeAll ran: read it inside a hook or a test`);
  };
  return {
    get env() {
      return env ?? notYet('env');
    },
    get stack() {
      return stack ?? notYet('stack');
    },
  };
}

async function timeSkippingEnvWithSearchAttributes(): Promise<TestWorkflowEnvironment> {
  const env = await createTimeSkippingEnv();
  // The time-skipping server knows no custom search attributes until they are registered.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, 2 /* KEYWORD */])),
  });
  return env;
}

/**
 * The ApplicationFailure a workflow ended with: asserts that `promise` (a handle's `result()`) rejects with a
 * WorkflowFailedError whose cause is an ApplicationFailure, and returns that cause for the test's own checks.
 */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}
