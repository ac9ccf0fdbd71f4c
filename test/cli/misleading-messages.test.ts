// Messages that misled (issue 13, point 6): the budget field named twice, a missing image file reported as a bad
// URL, and batch errors that counted lines from 1 but items from 0 and stopped at the first bad JSON line.
// Server-free: the CLI's own functions, and the validating activity's core with a client that is never called.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { validateGeneration } from '../../src/activities/validate.js';
import { parseRequestsJsonl, summaryLines } from '../../src/cli/commands/batch.js';
import { CliError, toCliError } from '../../src/cli/exit-codes.js';
import { reportError, type Output } from '../../src/cli/output.js';
import { buildRequest } from '../../src/cli/request-options.js';
import { KlingBudgetExceededError, KlingClient } from '../../src/kling/index.js';
import { validateGenerationLocally } from '../../src/client.js';
import { FailureType } from '../../src/contract/failure-types.js';

const PROMPT = 'A red fox trots through fresh snow at dawn, low tracking shot, soft golden light, cinematic';
const T2V = { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 };

const refusal = (fn: () => unknown): CliError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
};

function rendered(error: CliError): string[] {
  const lines: string[] = [];
  const output: Output = { out: (t) => lines.push(t), err: (t) => lines.push(t), isTty: false };
  reportError(output, error, false);
  return lines;
}

describe('maxCredits refusal names its field once', () => {
  // What the validating activity throws for a generation over its budget (never reaches the client's HTTP).
  const kling = new KlingClient({ baseUrl: 'http://127.0.0.1:9', credentials: { apiKey: 'k' } });
  const failure = (() => {
    try {
      validateGeneration(
        { kling, objectPrefix: 'videos' },
        { request: { ...T2V, audio: true, resolution: '1080p' }, options: { maxCredits: 49 } },
        { workflowId: 'budget-1', firstExecutionRunId: 'run-1' },
      );
    } catch (err) {
      if (err instanceof ApplicationFailure) return err;
      throw err;
    }
    throw new Error('expected BudgetExceeded');
  })();
  const count = (text: string) => text.split('maxCredits:').length - 1;

  it('the workflow failure: message and issue', () => {
    expect(failure.type).toBe(FailureType.BudgetExceeded);
    expect(count(failure.message)).toBe(1);
    const issues = (failure.details?.[0] as { issues: Array<{ field: string; message: string }> }).issues;
    for (const issue of issues) expect(count(`${issue.field}: ${issue.message}`)).toBe(1);
    expect(failure.message).toMatch(/^maxCredits: estimated cost 50 credits exceeds the budget of 49; raise the budget or ask for a cheaper video/);
    expect(issues).toEqual([{ field: 'maxCredits', message: expect.stringMatching(/^estimated cost 50 credits exceeds the budget of 49;/) }]);
  });

  it('the CLI, as text and as JSON', () => {
    const error = toCliError(new WorkflowFailedError('Workflow execution failed', failure, RetryState.NON_RETRYABLE_FAILURE));
    const text = rendered(error);
    for (const line of text) expect(count(line), line).toBeLessThanOrEqual(1);
    expect(text).toContain(
      '  maxCredits: estimated cost 50 credits exceeds the budget of 49; raise the budget or ask for a cheaper video (shorter, lower resolution, no audio)',
    );
    const json = error.toJSON();
    expect(count(json.message)).toBe(1);
    for (const issue of json.issues ?? []) expect(count(`${issue.field}: ${issue.message}`)).toBe(1);
  });

  it("the client's local refusal (KlingBudgetExceededError): like the workflow's, exit 2, not an internal error", () => {
    const error = toCliError(new KlingBudgetExceededError(50, 49));
    expect(error.toJSON()).toEqual({
      exitCode: 2,
      type: FailureType.BudgetExceeded,
      message: expect.stringMatching(/^maxCredits: estimated cost 50 credits exceeds the budget of 49;/),
      issues: [{ field: 'maxCredits', message: expect.stringMatching(/^estimated cost 50 credits exceeds the budget of 49;/) }],
      details: { budget: 'maxCredits', estimatedCredits: 50, maxCredits: 49 },
    });
    for (const line of rendered(error)) expect(count(line), line).toBeLessThanOrEqual(1);
  });

  it("the client's local strict-lint refusal (PromptLintError) is PromptRejected, exit 2, naming the prompt", () => {
    let thrown: unknown;
    try {
      validateGenerationLocally({ ...T2V, prompt: 'fox' }, { strictPromptLint: true, minLintScore: 90 });
    } catch (err) {
      thrown = err;
    }
    const error = toCliError(thrown);
    expect(error.toJSON()).toMatchObject({
      exitCode: 2,
      type: FailureType.PromptRejected,
      issues: [{ field: 'prompt', message: expect.stringMatching(/^lint score \d+ is below the minimum of 90/) }],
      details: { minScore: 90 },
    });
  });
});

describe('--image / --image-tail naming a file that does not exist', () => {
  it.each([
    ['--image', { image: 'no-such-first-frame.png' }, 'no-such-first-frame.png'],
    ['--image-tail', { image: 'https://example.com/first.png', imageTail: 'frames/no-such-last-frame.jpg' }, 'frames/no-such-last-frame.jpg'],
  ])('%s: "file not found", naming the flag and the accepted forms', (flag, flags, file) => {
    const err = refusal(() => buildRequest({ model: 'kling-2.6', kind: 'image-to-video', ...flags }));
    expect(err.exitCode).toBe(2);
    expect(err.issues).toEqual([{ field: flag, message: expect.stringContaining(`file not found: ${file} (in ${process.cwd()})`) }]);
    expect(err.issues?.[0]?.message).toMatch(/give an http\(s\) URL, raw base64, or the path of an existing image file$/);
  });

  it('URLs and raw base64 still pass through untouched', () => {
    expect(buildRequest({ model: 'kling-2.6', image: 'https://example.com/a.png', imageTail: 'iVBORw0KGgo=' })).toMatchObject({
      image: 'https://example.com/a.png',
      imageTail: 'iVBORw0KGgo=',
    });
  });
});

describe('kling-video batch: items are "line N (item i)" everywhere, and every bad line is reported at once', () => {
  it('JSON, shape, schema and catalog problems of every line in one error, each naming its line and item', () => {
    const file = [
      JSON.stringify(T2V), // line 1, item 0: fine
      '', // blank: skipped, no item
      '{"model": "kling-2.6", "prompt": ', // line 3, item 1: not JSON
      JSON.stringify({ ...T2V, duration: 7 }), // line 4, item 2: a bare request the catalog refuses
      JSON.stringify({ request: T2V, options: { deadline: 'whenever' } }), // line 5, item 3: a bad option
      '[1, 2]', // line 6, item 4: not an object
      JSON.stringify({ request: { ...T2V, model: 'kling-9.9' } }), // line 7, item 5: unknown model
    ].join('\n');
    const err = refusal(() => parseRequestsJsonl(file));
    expect(err.exitCode).toBe(2);
    expect(err.issues?.map((i) => i.field)).toEqual([
      'line 3 (item 1)',
      'line 4 (item 2) duration',
      'line 5 (item 3) options.deadline',
      'line 6 (item 4)',
      'line 7 (item 5) request.model',
    ]);
    expect(err.issues?.[0]?.message).toMatch(/^not JSON: /);
    expect(err.issues?.[1]?.message).toMatch(/5 or 10/);
  });

  it('a valid file: the items and the line each came from; the --wait summary names both', () => {
    const { items, lines } = parseRequestsJsonl(['', JSON.stringify(T2V), '', JSON.stringify({ request: { ...T2V, duration: 10 } })].join('\r\n'));
    expect(items).toEqual([{ request: T2V }, { request: { ...T2V, duration: 10 } }]);
    expect(lines).toEqual([2, 4]);
    const summary = summaryLines(
      {
        progress: {
          total: 2,
          succeeded: 1,
          failed: 1,
          skipped: 0,
          inFlight: 0,
          waiting: 0,
          buckets: {},
          peakInFlight: 1,
          phase: 'completed',
          credits: { reserved: 45, estimated: 45, actual: 15 },
        },
        items: [
          {
            index: 0,
            outcome: 'succeeded',
            workflowId: 'b-0',
            uri: 'gs://bucket/a.mp4',
            url: 'https://x/a.mp4',
            klingTaskId: 't0',
            model: 'kling-2.6',
            estimatedCredits: 15,
          },
          { index: 1, outcome: 'failed', failureType: FailureType.VideoGenerationFailed, message: 'Kling reported the task failed' },
        ],
      },
      lines,
    );
    expect(summary.slice(1)).toEqual([
      'line 2 (item 0) succeeded gs://bucket/a.mp4',
      'line 4 (item 1) failed VideoGenerationFailed: Kling reported the task failed',
    ]);
  });
});
