// Property: the client's local validation (validateGenerationLocally, what VideoGenerationClient runs before starting
// a workflow) never accepts what the worker's validate activity (validateGeneration) refuses, so an invalid
// generation starts nothing. Both run checkGenerationInput; this test keeps it that way. No servers: the activity
// function is called directly, with a valid workflow id, on the input as the worker receives it (after JSON).
import { isDeepStrictEqual } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateGeneration } from '../../src/activities/validate.js';
import { validateGenerationLocally } from '../../src/client.js';
import { KlingBudgetExceededError, KlingClient, KlingValidationError, PromptLintError } from '../../src/kling/index.js';
import { FailureType } from '../../src/contract/failure-types.js';
import { catalogCore, GOOD_PROMPT, junk, plausibleRequest } from '../support/request-arbitraries.js';

const SEED = Number(process.env.KT_FUZZ_SEED ?? 20261128);
const RUNS = Number(process.env.KT_FUZZ_RUNS ?? 2000);

// The worker holds both kinds of credentials (every standard reachable), the default catalog, prices and image policy.
const worker = {
  kling: new KlingClient({ credentials: { apiKey: 'parity-api-key', accessKey: 'parity-ak', secretKey: 'parity-sk' } }),
  objectPrefix: 'kling-videos',
};
const WORKFLOW = { workflowId: 'parity-generation-1', firstExecutionRunId: 'parity-run-1' };

/** The failure type the worker should end with for each error the local validation throws. */
function expectedFailureType(err: unknown): FailureType {
  if (err instanceof KlingValidationError) return FailureType.InvalidVideoRequest;
  if (err instanceof KlingBudgetExceededError) return FailureType.BudgetExceeded;
  if (err instanceof PromptLintError) return FailureType.PromptRejected;
  throw new Error(`local validation crashed: ${(err as Error)?.name}: ${(err as Error)?.message}`);
}

type Outcome = { ok: true } | { ok: false; type: string | null | undefined; message: string };

function workerOutcome(input: unknown): Outcome {
  try {
    validateGeneration(worker, input, WORKFLOW);
    return { ok: true };
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw new Error(`the validate activity threw a non-failure: ${(err as Error)?.message}`);
    return { ok: false, type: err.type, message: err.message };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Options

const DURATION = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('30s', '10 minutes', '2h', '1s', 1_000, 250) },
  { weight: 2, arbitrary: fc.oneof(fc.constantFrom(0, -5, 1.5, 'soon', '', '0s', '-1s'), fc.integer({ min: -10, max: 10_000_000 })) },
);
/** Every option with mostly plausible, sometimes wrong values (types, ranges, durations Temporal cannot read). */
const OPTION_VALUES = {
  deadline: DURATION,
  queuedDeadline: DURATION,
  processingDeadline: DURATION,
  poll: fc.record(
    { initialInterval: DURATION, backoffCoefficient: fc.oneof(fc.constant(1.5), fc.double({ min: 0, max: 12, noNaN: true })), maxInterval: DURATION },
    { requiredKeys: [] },
  ),
  // Around the estimates of the catalog (a few to a few hundred credits): both sides of the budget.
  maxCredits: fc.oneof(fc.integer({ min: -1, max: 400 }), fc.constantFrom(0.5, 1e6)),
  resubmitOnFailure: fc.integer({ min: -1, max: 6 }),
  destination: fc.oneof(
    fc.record({ prefix: fc.constantFrom('marketing', 'team/q3', 'Bad Prefix', '../up', '') }, { requiredKeys: [] }),
    fc.constant('x'),
  ),
  strictPromptLint: fc.boolean(),
  minLintScore: fc.integer({ min: -1, max: 101 }),
  activityTimeouts: fc.record(
    {
      validateStartToClose: DURATION,
      submitStartToClose: DURATION,
      statusStartToClose: DURATION,
      rehostHeartbeat: DURATION,
      rehostRetryInitialInterval: DURATION,
    },
    { requiredKeys: [] },
  ),
  creditDriftTolerance: fc.double({ min: -1, max: 11, noNaN: true }),
  dailyCreditBudget: fc.integer({ min: -1, max: 1_000 }),
  approval: fc.record({ aboveCredits: fc.integer({ min: -1, max: 100 }), timeout: DURATION }, { requiredKeys: ['aboveCredits'] }),
  collectAfterCancel: fc.boolean(),
  unknownOption: fc.anything({ maxDepth: 1 }),
};
const OPTION_NAMES = Object.keys(OPTION_VALUES) as Array<keyof typeof OPTION_VALUES>;
/** Options as callers write them: none, up to four options drawn at random, or anything. */
const options = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.record(OPTION_VALUES), fc.shuffledSubarray(OPTION_NAMES, { minLength: 0, maxLength: 4 }))
      .map(([values, keys]) => Object.fromEntries(keys.map((k) => [k, values[k]]))),
  },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
);

/** Requests: the request fuzzer's (and bare catalog-shaped ones), sometimes with an `externalTaskId` (set, empty or explicitly undefined). */
const bareCore = catalogCore.map(({ image, ...rest }) => (rest.kind === 'image-to-video' ? { ...rest, image } : rest));
const request = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.oneof(plausibleRequest, bareCore), fc.option(fc.constantFrom<string | undefined>('ext-1', '', undefined), { freq: 4 }))
      .map(([r, ext]) => (ext === null || typeof r !== 'object' || r === null ? r : { ...r, externalTaskId: ext })),
  },
  { weight: 1, arbitrary: junk },
);

describe('the client validates locally exactly as the worker does', () => {
  it(`anything validateGenerationLocally accepts, the validate activity accepts; what it refuses, the activity refuses alike (${RUNS} runs)`, () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(request, options, (req, opts) => {
        // What the worker receives: the client's arguments through Temporal's JSON payload converter.
        const sent = opts === undefined ? { request: req } : { request: req, options: opts };
        let input: unknown;
        try {
          input = JSON.parse(JSON.stringify(sent));
        } catch {
          return; // not serialisable (a BigInt): the client could not start a workflow with it either
        }
        let localError: unknown;
        try {
          validateGenerationLocally(req, opts as never);
        } catch (err) {
          localError = err ?? new Error('thrown nothing');
        }
        const atWorker = workerOutcome(input);
        if (localError === undefined) {
          accepted++;
          expect(atWorker, `the client accepted ${safeJson(input)}`).toEqual({ ok: true });
          return;
        }
        refused++;
        const type = expectedFailureType(localError);
        // The converse (refused locally → refused by the worker, alike) holds for the same data. JSON may rewrite what
        // the client saw (drop an undefined field, NaN → null) into something the worker accepts: stricter is fine.
        if (!isDeepStrictEqual(input, sent)) return;
        expect(atWorker, `the client refused (${(localError as Error).message}) ${safeJson(input)}`).toMatchObject({ ok: false, type });
      }),
      { numRuns: RUNS, seed: SEED + 3 },
    );
    if (process.env.KT_FUZZ_DUMP) console.log({ accepted, refused });
    expect(accepted).toBeGreaterThan(RUNS / 20);
    expect(refused).toBeGreaterThan(RUNS / 4);
  });

  it('refuses externalTaskId locally, naming the field as the caller wrote it, like the worker', () => {
    const req = { model: 'kling-2.6', kind: 'text-to-video', prompt: GOOD_PROMPT, externalTaskId: 'mine-1' };
    const local = (() => {
      try {
        validateGenerationLocally(req, undefined);
      } catch (err) {
        return err;
      }
    })();
    expect(local).toBeInstanceOf(KlingValidationError);
    expect((local as KlingValidationError).issues).toEqual([{ field: 'externalTaskId', message: 'derived from the workflow id; do not set it' }]);
    expect(workerOutcome({ request: req })).toMatchObject({
      ok: false,
      type: FailureType.InvalidVideoRequest,
      message: expect.stringContaining('request.externalTaskId'),
    });
  });

  it('names option fields options.<field> and request fields as written; refuses an over-budget request before starting', () => {
    const t2v = { model: 'kling-2.6', kind: 'text-to-video', prompt: GOOD_PROMPT };
    const fields = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as KlingValidationError).issues.map((i) => i.field);
      }
      return [];
    };
    // A bad option does not hide a bad request: both are named in one answer.
    expect(fields(() => validateGenerationLocally({ ...t2v, duration: 7 }, { deadline: 'soon' }))).toEqual(['options.deadline', 'duration']);
    expect(fields(() => validateGenerationLocally({ ...t2v, duration: 7, 'odd key': 1 }, undefined))).toEqual(['["odd key"]']);
    expect(fields(() => validateGenerationLocally({ ...t2v, duration: 7 }, { maxCredits: 100 }))).toEqual(['duration']);
    expect(() => validateGenerationLocally(t2v, { maxCredits: 1 })).toThrow(KlingBudgetExceededError);
    expect(workerOutcome({ request: t2v, options: { maxCredits: 1 } })).toMatchObject({ ok: false, type: FailureType.BudgetExceeded });
  });
});

function safeJson(v: unknown): string {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' && x.length > 80 ? `${x.slice(0, 40)}…(${x.length})` : x));
  return s === undefined ? String(v) : s.slice(0, 1500);
}
